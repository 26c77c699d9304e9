from __future__ import annotations

import pytest

from os1.errors import Os1Error
from os1.tools.mail.accounts import MailConnectionLost, MailError
from os1.tools.mail.service import MailService
from tests.services.mailserver import DEFAULT_PASSWORD, MailServer
from tests.tools.mail.conftest import big_attachment, corpus, mail, oddities

pytestmark = pytest.mark.slow


def _stored(service: MailService) -> list[tuple[str, int]]:
    rows = service.mail.list_messages(service.user_id, folder=None, limit=100_000)
    return sorted((m.folder, m.uid) for m in rows)


def test_sync_reads_a_realistic_mailbox_and_changes_nothing(
        connected: MailService, mailserver: MailServer, mailbox_user: str) -> None:
    raws = corpus() + list(oddities().values())
    mailserver.deliver_many(mailbox_user, raws)
    mailserver.deliver(mailbox_user, mail("Project plan", msgid="<plan@x>"), folder="Work")
    mailserver.deliver(mailbox_user, big_attachment(50))
    before = mailserver.snapshot(mailbox_user)
    progress: list[tuple[str, int, int]] = []

    report = connected.sync(progress=lambda phase, done, total: progress.append((phase, done, total)))

    assert mailserver.snapshot(mailbox_user) == before  # no \Seen, nothing moved
    assert report.new_messages == len(raws) + 2 and report.skipped_large == 1
    assert report.bodies == len(raws) + 1
    assert progress[0] == ("headers", 0, len(raws) + 2)
    assert progress[-1] == ("bodies", len(raws) + 2, len(raws) + 2)
    big = connected.search("big file")[0]
    full = connected.read(big.id)
    assert full.body_text == "" and "not downloaded" in full.body_note and full.subject == "the big file"
    empty = connected.read(next(m.id for m in connected.list_mail(limit=1000) if m.subject == "empty"))
    assert empty.body_text == "" and empty.body_fetched
    assert connected.list_mail("Work")[0].subject == "Project plan"
    assert connected.search("sale")  # the HTML-only message, as text


def test_incremental_sync_adds_only_new_mail(connected: MailService, mailserver: MailServer,
                                             mailbox_user: str) -> None:
    mailserver.deliver_many(mailbox_user, [mail(f"first {i}") for i in range(5)])
    assert connected.sync().new_messages == 5
    assert connected.sync().new_messages == 0
    mailserver.deliver(mailbox_user, mail("second wave"), via="lmtp")
    report = connected.sync()
    assert report.new_messages == 1 and report.bodies == 1
    assert len(_stored(connected)) == 6


def test_sync_resumes_after_the_connection_drops(connected: MailService, mailserver: MailServer,
                                                 mailbox_user: str) -> None:
    mailserver.deliver_many(mailbox_user, [mail(f"message {i}") for i in range(120)])
    kicked = []

    def drop_after_first_body_batch(phase: str, done: int, total: int) -> None:
        if phase == "bodies" and done >= 50 and not kicked:
            kicked.append(done)
            mailserver.kick(mailbox_user)

    with pytest.raises(MailConnectionLost) as caught:
        connected.sync(progress=drop_after_first_body_batch)
    assert "Sync again" in str(caught.value)
    partial = connected.mail.list_messages(connected.user_id, limit=1000)
    assert len(partial) == 120 and 0 < sum(m.body_fetched for m in partial) < 120

    report = connected.sync()
    assert report.new_messages == 0 and 0 < report.bodies < 120
    stored = _stored(connected)
    assert len(stored) == len(set(stored)) == 120
    assert all(m.body_fetched for m in connected.mail.list_messages(connected.user_id, limit=1000))


def test_server_down_then_back(connected: MailService, mailserver: MailServer,
                               mailbox_user: str) -> None:
    mailserver.deliver_many(mailbox_user, [mail(f"note {i}") for i in range(300)])
    stopped = []

    def kick_mid_headers(phase: str, done: int, total: int) -> None:
        if phase == "headers" and done >= 100 and not stopped:
            stopped.append(done)
            mailserver.kick(mailbox_user)

    with pytest.raises(MailConnectionLost):
        connected.sync(progress=kick_mid_headers)
    assert 100 <= len(_stored(connected)) < 300
    mailserver.stop_process()
    try:
        with pytest.raises(MailError) as caught:
            connected.sync()
        assert "refused" in str(caught.value)
    finally:
        mailserver.restart()
    connected.sync()
    stored = _stored(connected)
    assert len(stored) == len(set(stored)) == 300


def test_a_recreated_folder_is_read_again(connected: MailService, mailserver: MailServer,
                                          mailbox_user: str) -> None:
    mailserver.deliver(mailbox_user, mail("old", msgid="<old@x>"), folder="Lists")
    connected.sync()
    conn = mailserver.imap(mailbox_user)
    conn.delete('"Lists"')
    conn.logout()
    mailserver.deliver(mailbox_user, mail("new", msgid="<new@x>"), folder="Lists")
    report = connected.sync()
    assert report.reset_folders == ["Lists"]
    assert [m.message_id for m in connected.list_mail("Lists")] == ["<new@x>"]


def test_wrong_password_says_so_without_the_password(service: MailService,
                                                     mailserver: MailServer, mailbox_user: str) -> None:
    secret = "not-the-password-123"
    with pytest.raises(MailError) as caught:
        service.connect(host="127.0.0.1", port=mailserver.imaps_port, username=mailbox_user,
                        password=secret, ca_file=str(mailserver.ca_file))
    text = str(caught.value) + repr(caught.value)
    assert "password is wrong" in text and secret not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert service.accounts() == []


@pytest.mark.parametrize("case", ["unknown_host", "refused", "untrusted_cert", "tls_on_plain_port"])
def test_connection_failures_are_explained(case: str, service: MailService,
                                           mailserver: MailServer, mailbox_user: str) -> None:
    from tests.services import free_port

    args = dict(host="127.0.0.1", port=mailserver.imaps_port, username=mailbox_user,
                password=DEFAULT_PASSWORD, ca_file=str(mailserver.ca_file))
    expected = {"unknown_host": "no such host", "refused": "refused the connection",
                "untrusted_cert": "can't be trusted", "tls_on_plain_port": "TLS"}[case]
    if case == "unknown_host":
        args["host"] = "no-such-host.invalid"
    elif case == "refused":
        args["port"] = free_port()
    elif case == "untrusted_cert":
        args["ca_file"] = None
    else:
        args["port"] = mailserver.imap_port
    with pytest.raises(Os1Error) as caught:
        service.connect(**args)  # type: ignore[arg-type]
    assert expected in str(caught.value)
    assert DEFAULT_PASSWORD not in str(caught.value)


def test_starttls_and_the_password_at_rest(connected: MailService, mailserver: MailServer,
                                           mailbox_user: str, store, box) -> None:  # type: ignore[no-untyped-def]
    starttls = MailService(store, connected.user_id, box, connected.clock)
    account = starttls.connect(host="127.0.0.1", port=mailserver.imap_port, security="starttls",
                               username=mailbox_user, password=DEFAULT_PASSWORD,
                               ca_file=str(mailserver.ca_file), name="starttls")
    assert account.has_password and DEFAULT_PASSWORD not in repr(account)
    store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in store.engine.url.database and
                   __import__("pathlib").Path(store.engine.url.database).parent.glob("os1.db*") or [])
    if store.engine.dialect.name == "sqlite":
        assert raw and DEFAULT_PASSWORD.encode() not in raw
    mailserver.deliver(mailbox_user, mail("over starttls"))
    assert starttls.sync(account.id).new_messages == 1
