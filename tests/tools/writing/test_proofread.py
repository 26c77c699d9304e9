"""Proofreading: planted errors are found, names/addresses/links and good text are left alone, the
model pass is validated against the text."""

from __future__ import annotations

import json

from os1.tools.writing import Change, check, proofread, render_changes
from tests.fakes.backend import FakeBackend, down

PLANTED = ("Hi Siobhan,\n\nI think teh plan is is good.  we should of left earlier. its a shame.\n"
           "Details are at https://exmaple.com/teh-plan or ask bob@exampel.org (he knows.\n"
           "It was better then last year, so I recieve the invoice on Monday.\n\nx Amy")


def test_finds_planted_errors() -> None:
    result = check(PLANTED)
    found = {(c.original, c.suggestion, c.kind) for c in result.changes}
    assert ("teh", "the", "spelling") in found
    assert ("recieve", "receive", "spelling") in found
    assert ("is is", "is", "grammar") in found
    assert ("  ", " ", "style") in found
    assert ("we", "We", "grammar") in found
    assert ("should of", "should have", "grammar") in found
    assert ("its", "It's", "grammar") in found
    assert ("better then", "better than", "grammar") in found
    assert any(c.original == "(" and not c.applied for c in result.changes)
    assert result.corrected == (
        "Hi Siobhan,\n\nI think the plan is good. We should have left earlier. It's a shame.\n"
        "Details are at https://exmaple.com/teh-plan or ask bob@exampel.org (he knows.\n"
        "It was better than last year, so I receive the invoice on Monday.\n\nx Amy")
    for c in result.changes:
        assert PLANTED[c.start:c.end] == c.original


def test_leaves_names_addresses_links_and_good_text_alone() -> None:
    result = check(PLANTED)
    touched = [PLANTED[c.start:c.end] for c in result.changes]
    assert not any(t in ("Siobhan", "Amy", "exmaple", "exampel", "x") for t in touched)
    assert "https://exmaple.com/teh-plan" in result.corrected and "bob@exampel.org" in result.corrected
    good = ("Dear Ms Okonkwo-Fairweather,\n\nThank you for your letter of 3 March. I've attached the "
            "signed lease (two copies) and the deposit receipt. Please call me on 07700 900123 or write "
            "to amy.lee@brightpath.io if anything is missing; the portal at www.leasehub.co.uk/amy "
            "didn't accept PDFs.\n\nKind regards,\nAmy Lee")
    assert check(good).changes == []
    assert check(good).corrected == good


def test_other_confusions_and_quotes() -> None:
    text = 'Your welcome to join. It\'s own way, he said "fine. I could care less about alot of it.'
    found = {(c.original, c.suggestion) for c in check(text).changes}
    assert ("Your", "You're") in found and ("It's", "Its") in found
    assert ("alot", "a lot") in found and ("could care less", "couldn't care less") in found
    assert any(c.original == '"' and not c.applied for c in check(text).changes)


def test_render_changes_reads_like_a_diff() -> None:
    out = render_changes(check("I saw teh cat."))
    assert out == "line 1: teh → the (spelling: not in the dictionary)"
    assert render_changes(check("All good here.")) == "No changes suggested."


async def test_model_pass_validated_against_the_text() -> None:
    reply = json.dumps({"suggestions": [
        {"original": "very unique", "suggestion": "unique", "kind": "style", "why": "unique is absolute"},
        {"original": "not in the text at all", "suggestion": "x", "kind": "grammar", "why": ""},
        {"original": "bob@exampel.org", "suggestion": "bob@example.org", "kind": "spelling", "why": ""},
        {"original": "Hey", "suggestion": "Dear Ms Novak", "kind": "tone", "why": "more formal"},
    ]})
    backend = FakeBackend(script=[reply])
    text = "Hey, teh idea is very unique. Write to bob@exampel.org."
    result = await proofread(text, backend=backend)
    assert result.model_used
    by_source = {(c.original, c.suggestion, c.source) for c in result.changes}
    assert ("teh", "the", "rules") in by_source
    assert ("very unique", "unique", "model") in by_source
    assert ("Hey", "Dear Ms Novak", "model") in by_source
    assert result.corrected == "Dear Ms Novak, the idea is unique. Write to bob@exampel.org."
    assert len(result.model_failures) == 2
    assert any("doesn't match" in f for f in result.model_failures)
    assert any("link, address" in f for f in result.model_failures)
    assert backend.calls[0].schema is not None and backend.calls[0].aside
    assert text in backend.calls[0].messages[-1].content
    assert "(model)" in render_changes(result)


async def test_malformed_or_failed_model_reply_keeps_the_rule_changes() -> None:
    scripts = ["Sure! Here are my thoughts: the text is fine", '{"suggestions": [{"original": 1}]}', down()]
    for script in scripts:
        result = await proofread("I saw teh cat.", backend=FakeBackend(script=[script]))
        assert [c.original for c in result.changes] == ["teh"]
        assert result.corrected == "I saw the cat."
        assert len(result.model_failures) == 1, result.model_failures


async def test_no_backend_is_the_deterministic_check() -> None:
    result = await proofread("I saw teh cat.")
    assert not result.model_used and result == check("I saw teh cat.")
    assert isinstance(result.changes[0], Change)
