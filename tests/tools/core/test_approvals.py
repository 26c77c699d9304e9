"""Proposals run only when approved, exactly as shown, once; everything is audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.errors import InputError
from os1.tools.approvals import Approvals, Changed
from os1.tools.base import Effect, ToolRegistry
from tests.tools.core.toybox import Toybox


@pytest.fixture
def box(tmp_path: Path) -> Toybox:
    box = Toybox(tmp_path / "box")
    box.deliver("Anna", "anna@example.org", "Lunch?", "Are you free on Friday?")
    box.deliver("Shop", "shop@example.com", "Your receipt", "Thanks for your order")
    return box


def test_registry_builds_schemas_and_refuses_to_run_actions(box: Toybox) -> None:
    registry = ToolRegistry(box)
    send = registry.get("send_email")
    assert send.effect is Effect.ACT and send.description == "Send an email."
    assert send.parameters["required"] == ["to", "subject", "body"]
    assert registry.get("inbox_overview").effect is Effect.READ
    with pytest.raises(PermissionError):
        import asyncio
        asyncio.run(registry.run_read("send_email", {"to": ["x@y.z"], "subject": "s", "body": "b"}))
    with pytest.raises(InputError, match="to"):
        send.validate({"subject": "s", "body": "b"})
    assert box.state()["outbox"] == []


async def test_approve_runs_exactly_once_and_is_audited(store, user_id, clock, box: Toybox) -> None:
    registry = ToolRegistry(box)
    approvals = Approvals(store, user_id, clock)
    args, preview = await registry.preview("send_email", {"to": ["anna@example.org"],
                                                         "subject": "Hi", "body": "See you"})
    proposal = approvals.propose("send_email", args, preview, origin="person", reason="send")
    assert [p.id for p in approvals.pending()] == [proposal.id]
    assert box.state()["outbox"] == []  # proposing does nothing
    done = await approvals.approve(proposal.id, registry)
    assert done.status == "done" and "anna@example.org" in (done.result or "")
    assert len(box.state()["outbox"]) == 1
    with pytest.raises(InputError, match="already done"):
        await approvals.approve(proposal.id, registry)
    assert len(box.state()["outbox"]) == 1
    events = [e.event for e in reversed(approvals.audit())]
    assert events == ["proposed", "approved", "executed"]
    assert "See you" in approvals.audit()[-1].detail  # the full preview is logged


async def test_declined_and_expired_do_nothing(store, user_id, clock, box: Toybox) -> None:
    registry = ToolRegistry(box)
    approvals = Approvals(store, user_id, clock)
    before = box.state()
    args, preview = await registry.preview("delete_mail", {"mail_ids": [1, 2]})
    declined = approvals.propose("delete_mail", args, preview, origin="person")
    assert approvals.decline(declined.id).status == "declined"
    with pytest.raises(InputError):
        await approvals.approve(declined.id, registry)
    stale = approvals.propose("delete_mail", args, preview, origin="person")
    clock.advance(minutes=31)
    assert approvals.pending() == []
    assert approvals.get(stale.id).status == "expired"  # type: ignore[union-attr]
    with pytest.raises(InputError, match="expired"):
        await approvals.approve(stale.id, registry)
    assert box.state() == before
    assert {e.event for e in approvals.audit()} >= {"declined", "expired"}


async def test_a_changed_preview_is_shown_again_not_carried_out(store, user_id, clock,
                                                                box: Toybox) -> None:
    registry = ToolRegistry(box)
    approvals = Approvals(store, user_id, clock)
    args, preview = await registry.preview("reply_to", {"mail_id": 1, "body": "Yes!"})
    proposal = approvals.propose("reply_to", args, preview, origin="person")
    box.deliver("x", "x@x.org", "x", "x")  # unrelated
    (box.inbox / "1.json").write_text((box.inbox / "1.json").read_text().replace(
        "anna@example.org", "someone-else@example.net"))
    with pytest.raises(Changed) as raised:
        await approvals.approve(proposal.id, registry)
    assert box.state()["outbox"] == []
    assert raised.value.fresh.preview.fields["To"] == "someone-else@example.net"
    assert approvals.get(proposal.id).status == "expired"  # type: ignore[union-attr]


async def test_one_person_cannot_see_or_approve_anothers_proposals(store, user_id, clock,
                                                                   box: Toybox) -> None:
    registry = ToolRegistry(box)
    mine = Approvals(store, user_id, clock)
    args, preview = await registry.preview("delete_mail", {"mail_ids": [1]})
    proposal = mine.propose("delete_mail", args, preview, origin="person")
    eve = Approvals(store, store.ensure_user("eve"), clock)
    assert eve.pending() == [] and eve.get(proposal.id) is None and eve.audit() == []
    with pytest.raises(InputError, match="no proposal"):
        await eve.approve(proposal.id, registry)
    with pytest.raises(InputError, match="no proposal"):
        eve.decline(proposal.id)
    assert mine.get(proposal.id).status == "pending"  # type: ignore[union-attr]
    assert len(box.state()["inbox"]) == 2
