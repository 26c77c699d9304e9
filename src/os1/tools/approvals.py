"""Proposals, approvals and the audit log: the only way an act tool ever runs.

The loop proposes; the person sees exactly what will happen (``Preview``) and approves or
declines. An approval runs the tool with the arguments stored at proposal time, after
checking that what it would do is still what the person saw (the preview is computed
again and compared; a mailbox that changed in between makes a fresh proposal instead).
A declined or expired proposal does nothing. Every step is written to the audit log.

Nothing here reads the model's output or outside text: it stores what it is given, and a
proposal moves from ``pending`` to ``approved`` only through ``approve`` — which the
surfaces call when the person presses Approve, types /approve, or says "yes" to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from os1.clock import Clock
from os1.errors import InputError, Os1Error
from os1.store import Store
from os1.store.engine import transaction
from os1.store.repos import _aware, storable
from os1.tools.base import Effect, Preview, ToolRegistry, call
from os1.tools.tables import audit_log, proposals

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=30)
FINAL = ("done", "failed", "declined", "expired")


@dataclass(frozen=True)
class Proposal:
    id: int
    tool: str
    args: dict[str, Any]
    preview: Preview
    status: str  # pending | approved | done | failed | declined | expired
    origin: str  # person | outside
    reason: str
    message_id: int | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    result: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tool": self.tool, "args": self.args,
                "preview": self.preview.as_dict(), "text": self.preview.render(),
                "status": self.status, "origin": self.origin, "reason": self.reason,
                "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat(),
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "result": self.result}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    proposal_id: int | None
    at: datetime
    event: str
    tool: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "proposal_id": self.proposal_id, "at": self.at.isoformat(),
                "event": self.event, "tool": self.tool, "detail": self.detail}


def _proposal(row: Any) -> Proposal:
    return Proposal(id=row.id, tool=row.tool, args=dict(row.args or {}),
                    preview=Preview.from_dict(dict(row.preview or {})), status=row.status,
                    origin=row.origin, reason=row.reason or "", message_id=row.message_id,
                    created_at=_aware(row.created_at), expires_at=_aware(row.expires_at),  # type: ignore[arg-type]
                    decided_at=_aware(row.decided_at), result=row.result)


class Approvals:
    """One person's proposals. Every statement filters on ``user_id``."""

    def __init__(self, store: Store, user_id: int, clock: Clock, *,
                 ttl: timedelta = DEFAULT_TTL) -> None:
        self.store = store
        self.user_id = user_id
        self.clock = clock
        self.ttl = ttl

    # -- writing ---------------------------------------------------------------------------
    def _audit(self, conn: Any, proposal_id: int | None, event: str, tool: str,
               detail: str = "") -> None:
        conn.execute(audit_log.insert().values(user_id=self.user_id, proposal_id=proposal_id,
                                               at=self.clock.now(), event=event, tool=tool,
                                               detail=storable(detail)[:20_000]))

    def propose(self, tool: str, args: dict[str, Any], preview: Preview, *, origin: str,
                reason: str = "", message_id: int | None = None) -> Proposal:
        now = self.clock.now()
        with transaction(self.store.engine, self.store.label) as conn:
            proposal_id = conn.execute(proposals.insert().values(
                user_id=self.user_id, tool=tool, args=args, preview=preview.as_dict(),
                status="pending", origin=origin, reason=storable(reason), message_id=message_id,
                created_at=now, expires_at=now + self.ttl)).inserted_primary_key[0]  # type: ignore[index]
            self._audit(conn, proposal_id, "proposed", tool, preview.render())
        found = self.get(int(proposal_id))
        assert found is not None
        return found

    def _expire_stale(self) -> None:
        now = self.clock.now()
        with transaction(self.store.engine, self.store.label) as conn:
            stale = conn.execute(select(proposals.c.id, proposals.c.tool).where(
                proposals.c.user_id == self.user_id, proposals.c.status == "pending",
                proposals.c.expires_at <= now)).all()
            for row in stale:
                conn.execute(update(proposals).where(
                    proposals.c.user_id == self.user_id, proposals.c.id == row.id,
                    proposals.c.status == "pending").values(status="expired", decided_at=now))
                self._audit(conn, row.id, "expired", row.tool, "nobody approved it in time")

    def _move(self, proposal_id: int, status: str) -> tuple[Proposal, bool]:
        """pending → ``status``, atomically (two clicks, or two processes, move it once),
        audited. Returns the proposal and whether this call moved it."""
        now = self.clock.now()
        with transaction(self.store.engine, self.store.label) as conn:
            moved = conn.execute(update(proposals).where(
                proposals.c.user_id == self.user_id, proposals.c.id == proposal_id,
                proposals.c.status == "pending").values(status=status,
                                                        decided_at=now)).rowcount == 1
            if moved:
                tool = conn.execute(select(proposals.c.tool).where(
                    proposals.c.user_id == self.user_id, proposals.c.id == proposal_id)).scalar()
                self._audit(conn, proposal_id, status, str(tool))
        proposal = self.get(proposal_id)
        if proposal is None:
            raise InputError(f"There's no proposal #{proposal_id}.",
                             "/pending lists what is waiting for you.")
        return proposal, moved

    def _claim(self, proposal_id: int) -> Proposal:
        self._expire_stale()
        proposal, moved = self._move(proposal_id, "approved")
        if not moved:
            raise InputError(f"Proposal #{proposal_id} was already {proposal.status}; nothing "
                             "was done now.", "Ask again if you still want it.")
        return proposal

    def _finish(self, proposal: Proposal, status: str, result: str) -> Proposal:
        with transaction(self.store.engine, self.store.label) as conn:
            conn.execute(update(proposals).where(
                proposals.c.user_id == self.user_id, proposals.c.id == proposal.id).values(
                    status=status, result=storable(result)))
            self._audit(conn, proposal.id, "executed" if status == "done" else status,
                        proposal.tool, result)
        done = self.get(proposal.id)
        assert done is not None
        return done

    async def approve(self, proposal_id: int, registry: ToolRegistry) -> Proposal:
        """Carry out an approved proposal exactly as shown. Returns it, done or failed."""
        proposal = self._claim(proposal_id)
        try:
            spec = registry.get(proposal.tool)
            if spec.effect is not Effect.ACT:
                raise InputError(f"{proposal.tool} isn't an action.")
            args, now_shown = await registry.preview(proposal.tool, proposal.args)
        except Os1Error as exc:
            return self._finish(proposal, "failed", f"{exc.what} {exc.fix}".strip())
        if now_shown.as_dict() != proposal.preview.as_dict():
            # What it would do changed since the person saw it (a message moved, an event
            # changed): never do something other than what was approved.
            self._finish(proposal, "expired", "what it would do changed since it was shown")
            fresh = self.propose(proposal.tool, args, now_shown, origin=proposal.origin,
                                 reason=proposal.reason, message_id=proposal.message_id)
            raise Changed(fresh)
        try:
            outcome = await call(spec.func, args)
        except Os1Error as exc:
            return self._finish(proposal, "failed", f"{exc.what} {exc.fix}".strip())
        except Exception as exc:  # a tool bug or a network error: recorded, reported
            log.exception("tool %s failed", proposal.tool)
            return self._finish(proposal, "failed", f"{type(exc).__name__}: {exc}")
        return self._finish(proposal, "done", _describe(outcome) or "done")

    def decline(self, proposal_id: int) -> Proposal:
        return self._move(proposal_id, "declined")[0]

    # -- reading ---------------------------------------------------------------------------
    def get(self, proposal_id: int) -> Proposal | None:
        rows = self.store._read(select(proposals).where(proposals.c.user_id == self.user_id,
                                                        proposals.c.id == proposal_id))
        return _proposal(rows[0]) if rows else None

    def pending(self) -> list[Proposal]:
        self._expire_stale()
        rows = self.store._read(select(proposals).where(
            proposals.c.user_id == self.user_id, proposals.c.status == "pending").order_by(
                proposals.c.id))
        return [_proposal(r) for r in rows]

    def recent(self, limit: int = 50) -> list[Proposal]:
        rows = self.store._read(select(proposals).where(proposals.c.user_id == self.user_id)
                                .order_by(proposals.c.id.desc()).limit(limit))
        return [_proposal(r) for r in rows]

    def audit(self, limit: int = 200) -> list[AuditEntry]:
        rows = self.store._read(select(audit_log).where(audit_log.c.user_id == self.user_id)
                                .order_by(audit_log.c.id.desc()).limit(limit))
        return [AuditEntry(id=r.id, proposal_id=r.proposal_id, at=_aware(r.at),  # type: ignore[arg-type]
                           event=r.event, tool=r.tool, detail=r.detail) for r in rows]


class Changed(Os1Error):
    """What an approved proposal would do changed since it was shown; ``fresh`` is the new
    proposal, waiting for the person's decision."""

    def __init__(self, fresh: Proposal) -> None:
        super().__init__("That changed since I showed it to you, so I didn't do it.",
                         f"Here it is as it would be now (#{fresh.id}); approve that if it's right.")
        self.fresh = fresh


def _describe(outcome: Any) -> str:
    if outcome is None:
        return ""
    if isinstance(outcome, str):
        return outcome
    text = getattr(outcome, "summary", None) or getattr(outcome, "text", None)
    return str(text) if text else str(outcome)[:500]
