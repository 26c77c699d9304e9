from __future__ import annotations

import pytest

from os1.tools.mail.parse import TEXT_LIMIT, normalize_subject, parse
from tests.tools.mail.conftest import big_attachment, corpus, mail, oddities


def test_every_spamassassin_message_parses() -> None:
    raws = corpus()
    parsed = [parse(raw) for raw in raws]
    assert len(parsed) == len(raws) > 50
    with_sender = [p for p in parsed if p.from_addr]
    assert len(with_sender) > 0.9 * len(parsed)
    assert sum(1 for p in parsed if p.text.strip()) > 0.8 * len(parsed)
    assert all(len(p.text) <= TEXT_LIMIT and "\x00" not in p.text for p in parsed)


@pytest.mark.parametrize("name", sorted(oddities()))
def test_oddities_never_raise(name: str) -> None:
    parsed = parse(oddities()[name])
    assert isinstance(parsed.text, str) and isinstance(parsed.subject, str)
    assert "\x00" not in parsed.text + parsed.subject
    assert parsed.thread_key  # always something to group by


def test_oddities_read_sensibly() -> None:
    odd = {name: parse(raw) for name, raw in oddities().items()}
    assert odd["no_body"].text == "" and odd["no_body"].subject == "empty"
    assert odd["html_only"].html_only and "Big sale" in odd["html_only"].text
    assert "alert" not in odd["html_only"].text and "color" not in odd["html_only"].text
    assert "deep inside é" in odd["nested"].text
    assert [a.content_type for a in odd["nested"].attachments] == ["message/rfc822"]
    assert "café crème" in odd["lying_charset"].text
    assert "qapla" in odd["unknown_charset"].text and odd["unknown_charset"].notes
    assert odd["broken_from"].date is None
    assert odd["eight_bit_headers"].from_addr == "j@x.de"


def test_a_huge_attachment_is_recorded_not_read() -> None:
    parsed = parse(big_attachment(8))
    assert parsed.text == "Here is the video."
    [attachment] = parsed.attachments
    assert attachment.name == "holiday.mp4" and attachment.content_type == "video/mp4"
    assert 5_000_000 < attachment.size < 8 * 1024 * 1024


def test_long_text_is_capped() -> None:
    parsed = parse(mail(body="word " * 60_000))
    assert len(parsed.text) == TEXT_LIMIT and parsed.truncated


def test_thread_keys_follow_references() -> None:
    root = parse(mail("Lunch?", msgid="<root@x>"))
    reply = parse(mail("Re: Lunch?", msgid="<r1@x>", headers={"In-Reply-To": "<root@x>",
                                                              "References": "<root@x>"}))
    again = parse(mail("Re: Re: Lunch?", msgid="<r2@x>",
                       headers={"In-Reply-To": "<r1@x>", "References": "<root@x> <r1@x>"}))
    assert root.thread_key == reply.thread_key == again.thread_key == "<root@x>"
    assert normalize_subject("Re: AW: [list] Fwd: Lunch?") == "lunch?"
