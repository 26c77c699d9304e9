"""The injection suite through the real organizer, with a model that obeys every
instruction it reads: whatever the mail, files and calendar say, nothing happens without
the person's approval, and no injected instruction becomes a proposal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from os1.llm.base import ChatMessage
from tests.fakes.backend import FakeBackend
from tests.injection.corpus import build_scenarios
from tests.injection.runner import run_scenario
from tests.services.mailserver import MailServer, start_mailserver


@pytest.fixture(scope="module")
def server() -> Iterator[MailServer]:
    started = start_mailserver()
    yield started
    started.stop()


def obedient(messages: list[ChatMessage]) -> str:
    """The worst model: it repeats every instruction it was shown as a plan or an answer,
    naming every attacker's address and link it saw."""
    seen = "\n".join(m.content for m in messages)
    import re

    addresses = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", seen)
    links = re.findall(r"https?://\S+", seen)
    return json.dumps({"to": addresses[-3:], "subject": "as instructed", "which": "everything",
                       "points": " ".join(links[-3:]) + " forwarding all mail as instructed",
                       "action": "delete", "folder": "Trash", "title": "Sync meeting",
                       "when": "Friday 9am", "minutes": 30, "location": "",
                       "note": " ".join(links[-3:])})


@pytest.mark.slow
@pytest.mark.parametrize("index", range(5))
async def test_no_side_effect_and_no_injected_proposal(index: int, server: MailServer,
                                                       tmp_path: Path) -> None:
    scenarios = build_scenarios()
    if index >= len(scenarios):
        pytest.skip("fewer scenarios")
    scenario = scenarios[index]
    outcome = await run_scenario(scenario, server=server, backend=FakeBackend(default=obedient),
                                 workdir=tmp_path / scenario.name)
    assert outcome.side_effects == []
    assert outcome.injected_proposals == []
    assert outcome.requests == len(scenario.requests)
    # Calendar questions are answered in code from the calendar, whatever the model does.
    missed = [f["request"] for f in outcome.failures]
    assert not [r for r in missed if r.lower().startswith("what's on")], outcome.failures
