from __future__ import annotations

import asyncio
import mailbox
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest

from os1.errors import InputError
from os1.tools.base import Effect, ToolRegistry
from os1.tools.mail.service import MailService
from os1.tools.mail.tools import MailTools
from tests.services.mailserver import MailServer
from tests.tools.mail.conftest import mail

pytestmark = pytest.mark.slow


def _ids(service: MailService, folder: str = "INBOX") -> dict[str, int]:
    return {m.message_id: m.id for m in service.list_mail(folder, limit=1000)}


@pytest.fixture
def inbox(connected: MailService, mailserver: MailServer, mailbox_user: str) -> dict[str, int]:
    raws = [mail(f"message {i}", msgid=f"<m{i}@x>") for i in range(6)]
    mailserver.deliver_many(mailbox_user, raws)
    connected.sync()
    return _ids(connected)


def test_archive_delete_move_change_exactly_what_they_say(
        connected: MailService, mailserver: MailServer, mailbox_user: str,
        inbox: dict[str, int]) -> None:
    before = mailserver.snapshot(mailbox_user)
    connected.archive([inbox["<m0@x>"], inbox["<m1@x>"]])
    connected.delete([inbox["<m2@x>"]])
    connected.move([inbox["<m3@x>"]], "Projects/2026")
    after = mailserver.snapshot(mailbox_user)

    assert after.message_ids("INBOX") == ["<m4@x>", "<m5@x>"]
    assert after.message_ids("Archive") == ["<m0@x>", "<m1@x>"]
    assert after.message_ids("Trash") == ["<m2@x>"]
    assert after.message_ids("Projects/2026") == ["<m3@x>"]
    assert after.flags("INBOX") == {k: v for k, v in before.flags("INBOX").items()
                                    if k in ("<m4@x>", "<m5@x>")}
    assert all(not flags for flags in after.flags("Archive").values())  # nothing marked read
    # The store follows: same ids, new folders; a sync finds nothing new or missing.
    assert connected.read(inbox["<m0@x>"]).folder == "Archive"
    assert connected.read(inbox["<m3@x>"]).folder == "Projects/2026"
    report = connected.sync()
    assert report.new_messages == 0 and report.removed == 0
    stored = connected.mail.list_messages(connected.user_id, folder=None, limit=100)
    assert len(stored) == 6


def test_mark_read_sets_seen_on_only_those(connected: MailService, mailserver: MailServer,
                                           mailbox_user: str, inbox: dict[str, int]) -> None:
    connected.mark_read([inbox["<m5@x>"]])
    flags = mailserver.snapshot(mailbox_user).flags("INBOX")
    assert flags["<m5@x>"] == frozenset({"\\Seen"})
    assert all(not f for mid, f in flags.items() if mid != "<m5@x>")


def test_a_renumbered_folder_stops_an_action(connected: MailService, mailserver: MailServer,
                                             mailbox_user: str) -> None:
    mailserver.deliver(mailbox_user, mail("in a list", msgid="<l1@x>"), folder="Lists")
    connected.sync()
    target = connected.list_mail("Lists")[0].id
    conn = mailserver.imap(mailbox_user)
    conn.delete('"Lists"')
    conn.logout()
    mailserver.deliver(mailbox_user, mail("someone else", msgid="<l2@x>"), folder="Lists")
    with pytest.raises(Exception, match="changed on the server"):
        connected.delete([target])
    assert mailserver.snapshot(mailbox_user).message_ids("Lists") == ["<l2@x>"]


def test_send_arrives_in_the_recipients_inbox_with_a_sent_copy(
        connected: MailService, mailserver: MailServer, mailbox_user: str) -> None:
    bob = mailserver.create_user("bob-" + mailbox_user)
    conn = mailserver.imap(mailbox_user)
    conn.create('"Sent"')
    conn.logout()
    result = connected.send([f"{bob}@localhost"], "Dinner", "Shall we eat at 8?")
    assert result.sent_copy == "Sent"
    arrived = mailserver.snapshot(bob)
    assert arrived.message_ids("INBOX") == [result.message_id]
    assert mailserver.snapshot(mailbox_user).message_ids("Sent") == [result.message_id]
    smtp = mailserver.start_smtp()
    accepted = smtp.accepted[-1]
    assert accepted.login == mailbox_user and accepted.recipients == [f"{bob}@localhost"]
    sent = message_from_bytes(accepted.data)
    assert sent["Subject"] == "Dinner" and sent["Date"] and "eat at 8" in sent.get_payload()


def test_reply_threads_and_forward_quotes(connected: MailService, mailserver: MailServer,
                                          mailbox_user: str) -> None:
    anna = mailserver.create_user("anna-" + mailbox_user)
    mailserver.deliver(mailbox_user, mail("Lunch?", sender=f"{anna}@localhost", msgid="<lunch@x>"))
    connected.sync()
    original = connected.list_mail()[0]
    connected.reply(original.id, "Yes, 1 pm works.")
    connected.forward(original.id, [f"{anna}@localhost"], "FYI")
    smtp = mailserver.start_smtp()
    reply, forward = (message_from_bytes(m.data) for m in smtp.accepted[-2:])
    assert reply["In-Reply-To"] == "<lunch@x>" and "<lunch@x>" in reply["References"]
    assert reply["Subject"] == "Re: Lunch?" and "Yes, 1 pm works." in reply.get_payload()
    assert forward["Subject"] == "Fwd: Lunch?" and "are you free for lunch" in forward.get_payload()
    assert len(mailserver.snapshot(anna).message_ids("INBOX")) == 2
    assert "\\Answered" in mailserver.snapshot(mailbox_user).flags("INBOX")["<lunch@x>"]


def test_tools_preview_everything_and_act_only_when_called(
        connected: MailService, mailserver: MailServer, mailbox_user: str,
        inbox: dict[str, int]) -> None:
    import asyncio

    registry = ToolRegistry(MailTools(connected))
    assert {t.name for t in registry.specs(Effect.ACT)} >= {
        "send_email", "reply_to", "forward_mail", "archive_mail", "delete_mail", "move_mail"}
    before = mailserver.snapshot(mailbox_user)
    ids = [inbox["<m0@x>"], inbox["<m1@x>"]]
    _, preview = asyncio.run(registry.preview("delete_mail", {"mail_ids": ids}))
    assert len(preview.affected) == 2 and "'message 0'" in preview.render()
    assert all(line.startswith(f"#{i} From anna@example.org")
               for i, line in zip(ids, preview.affected, strict=True))
    _, draft = asyncio.run(registry.preview("send_email", {
        "to": ["x@example.org"], "cc": ["y@example.org"], "subject": "Hi", "body": "Full text\nline 2"}))
    assert draft.fields["To"] == "x@example.org" and draft.fields["Cc"] == "y@example.org"
    assert draft.body.strip() == "Full text\nline 2"
    _, reply = asyncio.run(registry.preview("reply_to", {"mail_id": ids[0], "body": "Sure"}))
    assert reply.fields["To"] == "anna@example.org" and "#" in reply.affected[0]
    with pytest.raises(PermissionError):
        asyncio.run(registry.run_read("delete_mail", {"mail_ids": ids}))
    with pytest.raises(InputError):
        asyncio.run(registry.preview("archive_mail", {"mail_ids": [999_999]}))
    overview = asyncio.run(registry.run_read("inbox_overview", {}))
    found = asyncio.run(registry.run_read("search_mail", {"query": "message"}))
    read = asyncio.run(registry.run_read("read_mail", {"mail_id": ids[0]}))
    assert overview["total"] == 6 and len(found) == 6 and read["source"].startswith(f"mail #{ids[0]} from")
    assert mailserver.snapshot(mailbox_user) == before  # previews and reads changed nothing


def test_overview_finds_what_needs_you_and_old_newsletters(connected: MailService,
                                                           mailserver: MailServer,
                                                           mailbox_user: str, clock) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    raws = [mail(f"Weekly digest {i}", sender="news@list.example.com", when=now - timedelta(days=40 + i),
                 body="This week's news. Unsubscribe here.",
                 headers={"List-Unsubscribe": "<mailto:unsub@list.example.com>",
                          "List-Id": "<weekly.list.example.com>", "Precedence": "bulk"})
            for i in range(4)]
    raws.append(mail("Can you send me the report?", sender="boss@work.example.com",
                     when=now - timedelta(hours=3),
                     body="Hi Amy,\ncould you send me the report by tomorrow?\nThanks"))
    mailserver.deliver_many(mailbox_user, raws)
    connected.sync()
    overview = connected.overview(now)
    assert overview.total == 5 and overview.unread == 5
    assert sum(overview.by_category.values()) == 5
    text = overview.as_text()
    assert "5 messages" in text
    if overview.by_category.get("newsletter") == 4:  # the classifier is someone else's module
        [old] = [c for c in overview.cleanup if c.kind == "old_newsletters"]
        assert len(old.ids) == 4 and old.description.startswith("4 old newsletters")


def test_import_maildir_and_mbox_idempotent(service: MailService, tmp_path: Path) -> None:
    maildir = mailbox.Maildir(str(tmp_path / "Mail"), create=True)
    for i in range(3):
        maildir.add(mail(f"from maildir {i}", msgid=f"<md{i}@x>"))
    maildir.add(b"From: a@x\r\nSubject: no id\r\n\r\nno message-id here\r\n")
    sub = maildir.add_folder("Old")
    sub.add(mail("in a subfolder", msgid="<sub@x>"))
    box = mailbox.mbox(str(tmp_path / "archive.mbox"), create=True)
    for i in range(2):
        box.add(mail(f"from mbox {i}", msgid=f"<mb{i}@x>"))
    box.flush()

    first = service.import_path(tmp_path / "Mail")
    assert (first.added, first.folders) == (5, 2)
    assert service.import_path(tmp_path / "Mail").added == 0
    assert service.import_path(tmp_path / "archive.mbox").added == 2
    box.add(mail("later", msgid="<mb9@x>"))
    box.flush()
    again = service.import_path(tmp_path / "archive.mbox")
    assert (again.added, again.skipped) == (1, 2)
    assert len(service.mail.list_messages(service.user_id, folder=None, limit=100)) == 8
    assert service.search("subfolder")[0].folder == "Mail/Old"
    with pytest.raises(InputError):
        service.import_path(tmp_path / "missing")
    with pytest.raises(InputError, match="imported mail"):
        service.archive([service.search("subfolder")[0].id])
    # Nor is it ever proposed: the preview says so before anyone is asked to approve.
    from os1.tools.mail.tools import MailTools

    registry = ToolRegistry(MailTools(service))
    for tool in ("archive_mail", "delete_mail", "mark_read"):
        with pytest.raises(InputError, match="imported mail"):
            asyncio.run(registry.preview(tool, {"mail_ids": [service.search("subfolder")[0].id]}))
