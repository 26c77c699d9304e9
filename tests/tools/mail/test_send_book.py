"""The book goes to a publisher only when the person says yes: made from the letter library,
attached (PDF and EPUB) to a cover letter, shown whole, sent over the real SMTP server into
the publisher's real mailbox — and not before."""

from __future__ import annotations

import hashlib
from email import message_from_bytes, policy
from pathlib import Path

from os1.companion import Companion
from os1.events import Made, TextDelta, ToolProposal, ToolResult
from os1.tools.factory import Services, build_organizer
from os1.tools.letters.library import LetterLibrary
from os1.tools.mail.service import MailService
from tests.fakes.backend import FakeBackend
from tests.services.mailserver import MailServer

COVER = "Dear editor,\n\nPlease find attached the manuscript of Bus Queues.\n\nTheodore"


async def say(companion: Companion, text: str) -> tuple[str, list[object]]:
    events = [e async for e in companion.respond(text)]
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events


async def test_the_book_is_sent_to_the_publisher_only_when_approved(
        store, persona, clock, connected: MailService, mailserver: MailServer,
        mailbox_user: str, tmp_path: Path) -> None:
    library = LetterLibrary(store)
    for sender, recipient, occasion in (("Chris", "Loretta", "50th anniversary"),
                                        ("Maya", "Rosa", "90th birthday"),
                                        ("Tom", "Sam", "a farewell")):
        library.add(persona.user_id, sender=sender, recipient=recipient, occasion=occasion,
                    body=f"Dear {recipient},\n\nI think of you every day.\n\n{sender}",
                    now=clock.now())
    # Any domain: the test SMTP server delivers to the Dovecot user named before the @.
    publisher = mailserver.create_user("publisher-" + mailbox_user) + "@books.example"
    backend = FakeBackend(script=["These letters were written for the people in them.", COVER])
    services = Services(mail=connected, out_dir=tmp_path / "me")
    organizer = build_organizer(store, clock, persona.user_id, user_name=persona.user_name,
                                backend=backend, services=services)
    companion = Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                          persona=persona, reply_tokens=128, organizer=organizer)

    reply, events = await say(companion, "Gather my best letters into a book called Bus Queues")
    made = [e for e in events if isinstance(e, Made)]
    assert made and made[0].kind == "book" and "Bus Queues" in reply
    pdf, epub = Path(made[0].files["pdf"]), Path(made[0].files["epub"])
    assert pdf.read_bytes().startswith(b"%PDF") and epub.read_bytes().startswith(b"PK")
    book = library.books(persona.user_id)[0]
    assert book.verdict["epub"]["ok"] is True and book.verdict["pdf"]["ok"] is True
    before = mailserver.snapshot(mailbox_user), mailserver.snapshot(publisher.split("@")[0])

    reply, events = await say(companion, f"Send the book to the publisher at {publisher}")
    assert [e for e in events if isinstance(e, ToolProposal)], reply
    [card] = [e for e in events if isinstance(e, ToolProposal)]
    assert "Shall I send it?" in reply
    assert card.preview["fields"]["To"] == publisher and "Bus Queues" in card.preview["fields"][
        "Subject"]
    assert card.preview["body"].strip() == COVER
    shown = "\n".join(card.preview["affected"])
    for path in (pdf, epub):
        assert f"{path.name} (" in shown
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:12] in shown
    # Nothing has left yet: both mailboxes are as they were.
    assert (mailserver.snapshot(mailbox_user), mailserver.snapshot(
        publisher.split("@")[0])) == before

    reply, events = await say(companion, "yes")
    [result] = [e for e in events if isinstance(e, ToolResult)]
    assert result.status == "done", result.text
    arrived = mailserver.snapshot(publisher.split("@")[0]).message_ids("INBOX")
    assert len(arrived) == 1
    smtp = mailserver.start_smtp()
    sent = message_from_bytes(smtp.accepted[-1].data, policy=policy.default)
    attached = {part.get_filename(): part.get_payload(decode=True)
                for part in sent.iter_attachments()}
    assert attached == {pdf.name: pdf.read_bytes(), epub.name: epub.read_bytes()}
    assert sent.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n").strip() == COVER


async def test_a_declined_send_sends_nothing(store, persona, clock, connected: MailService,
                                             mailserver: MailServer, mailbox_user: str,
                                             tmp_path: Path) -> None:
    library = LetterLibrary(store)
    library.add(persona.user_id, sender="Chris", recipient="Loretta", body="Dear Loretta,\nYes.",
                now=clock.now())
    publisher = mailserver.create_user("pub2-" + mailbox_user) + "@books.example"
    backend = FakeBackend(script=["A foreword long enough to be kept as it is written here.", COVER])
    organizer = build_organizer(store, clock, persona.user_id, user_name=persona.user_name,
                                backend=backend,
                                services=Services(mail=connected, out_dir=tmp_path / "me"))
    companion = Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                          persona=persona, reply_tokens=128, organizer=organizer)
    await say(companion, "Make my letters into a book called Yes")
    before = mailserver.snapshot(publisher.split("@")[0])
    await say(companion, f"send the book to {publisher}")
    await say(companion, "no")
    assert mailserver.snapshot(publisher.split("@")[0]) == before
    assert [p.status for p in organizer.approvals.recent(5)] == ["declined"]
