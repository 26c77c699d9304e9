"""Learning the person's tone from their sent mail (generated, seeded)."""

from __future__ import annotations

import random
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from os1.tools.mail.style import StyleProfile, learn_style

FRIENDS = ["Anna", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace"]
LINES = ["Are you around Saturday? Would love a walk!", "Loved the photos, thank you!! 😊",
         "Can't make Thursday, sorry. Next week?", "Here's the doc. Shout if anything's off.",
         "Yes please! See you at 7.", "Running late, be there in 10!",
         "That's brilliant news, so happy for you."]


def sent_mail(seed: int = 7, n: int = 24) -> list[EmailMessage]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        msg = EmailMessage()
        friend = rng.choice(FRIENDS)
        msg["From"] = "Amy Lee <amy@amylee.net>"
        msg["To"] = f"{friend} <{friend.lower()}@example.net>"
        msg["Subject"] = "Re: plans"
        sign = "x A" if i % 4 else "Amy x"
        body = f"Hi {friend},\n\n{rng.choice(LINES)} {rng.choice(LINES)}\n\n{sign}\n"
        if i % 3 == 0:  # a reply: the quoted part is somebody else's words
            body += (f"\nOn Mon, 9 Mar 2026 at 10:00, {friend} wrote:\n> Dear Amy, I would be grateful "
                     "if you could kindly confirm.\n> Kind regards\n")
        if i % 5 == 0:
            body += "\nSent from my iPhone\n"
        msg.set_content(body)
        out.append(BytesParser(policy=policy.default).parsebytes(bytes(msg)))  # type: ignore[misc]
    return out


def test_learns_greeting_sign_off_length_and_warmth() -> None:
    profile = learn_style(sent_mail())
    assert profile.name == "Amy"
    assert profile.messages == 24
    assert profile.greetings[0] == ("Hi <name>,", 24)
    assert profile.sign_offs[0] == ("x A", 18)
    assert ("Amy x", 6) in profile.sign_offs
    assert 5 <= profile.median_words <= 25
    assert profile.formality < 0.5  # the formal quoted replies were not counted
    assert profile.exclamation_rate > 0.3 and profile.emoji_rate > 0
    assert 1 <= len(profile.examples) <= 3 and all(len(e) <= 200 for e in profile.examples)
    assert not any("grateful" in e or "iPhone" in e for e in profile.examples)
    note = profile.prompt_note()
    assert note.startswith("Amy writes very short, warm")
    assert "starts with 'Hi <name>,'" in note and "signs off 'x A'" in note


def test_formal_writer_and_plain_strings() -> None:
    bodies = [f"Dear {name},\n\nPlease find attached the signed contract for {name}'s review. I would be "
              "grateful if you could confirm receipt at your earliest convenience.\n\n"
              "Kind regards,\nJohn Carter"
              for name in ("Mr Smith", "Ms Jones", "Dr Patel", "Professor Lee")]
    profile = learn_style(bodies, name="John Carter")
    assert profile.name == "John"
    assert profile.greetings[0] == ("Dear <name>,", 4)
    assert profile.sign_offs[0] == ("Kind regards,\nJohn Carter", 4)
    assert profile.tone == "formal, polite"
    assert "signs off 'Kind regards, / John Carter'" in profile.prompt_note(examples=0)


def test_deterministic_json_round_trip_and_empty() -> None:
    a, b = learn_style(sent_mail()), learn_style(sent_mail())
    assert a == b
    assert StyleProfile.from_json(a.to_json()) == a
    empty = learn_style([])
    assert empty.messages == 0 and "No sent mail" in empty.prompt_note()
    assert learn_style(sent_mail(n=40), max_messages=10).messages == 10
