"""The organizer on the server: proposals waiting for the person, their decisions, the
audit log; connecting mail and calendars. Every query is the signed-in person's own."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from os1.server.companions import NoCompanion
from os1.server.deps import CurrentUser, State
from os1.tools.approvals import Approvals
from os1.tools.factory import Services, build_services

router = APIRouter(prefix="/api", tags=["organizer"])


def _approvals(auth: CurrentUser, state: State) -> Approvals:
    return Approvals(state.store, auth.user.id, state.clock)


def _services(auth: CurrentUser, state: State) -> Services:
    box = state.pool.shared.box
    if box is None:
        raise HTTPException(503, "Mail and calendars are off on this server: it has no secret "
                                 "key. Start it with os1 serve (which keeps one in its data "
                                 "folder) or set OS1_SECRET_KEY.")
    return build_services(state.store, state.clock, auth.user.id, box=box, files=False)


@router.get("/proposals")
def proposals(auth: CurrentUser, state: State,
              everything: bool = Query(False, description="also decided ones")) -> dict[str, Any]:
    approvals = _approvals(auth, state)
    found = approvals.recent(100) if everything else approvals.pending()
    return {"proposals": [p.as_dict() for p in found]}


async def _decide(proposal_id: int, approve: bool, auth: CurrentUser,
                  state: State) -> dict[str, Any]:
    if _approvals(auth, state).get(proposal_id) is None:
        raise HTTPException(404, "There's no such proposal.")
    try:
        frames = await state.conversations.decide(auth.user.id, proposal_id, approve)
    except NoCompanion:
        raise HTTPException(409, "Meet your companion first.") from None
    return {"events": frames}


@router.post("/proposals/{proposal_id}/approve")
async def approve(proposal_id: int, auth: CurrentUser, state: State) -> dict[str, Any]:
    return await _decide(proposal_id, True, auth, state)


@router.post("/proposals/{proposal_id}/decline")
async def decline(proposal_id: int, auth: CurrentUser, state: State) -> dict[str, Any]:
    return await _decide(proposal_id, False, auth, state)


@router.get("/audit")
def audit(auth: CurrentUser, state: State,
          limit: int = Query(200, ge=1, le=2000)) -> dict[str, Any]:
    return {"entries": [e.as_dict() for e in _approvals(auth, state).audit(limit)]}


class MailAccountIn(BaseModel):
    address: str = Field(min_length=3, max_length=320)
    host: str = Field(min_length=1, max_length=255)
    username: str | None = Field(default=None, max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: str = Field(default="tls", pattern="^(tls|starttls)$")
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: str = Field(default="starttls", pattern="^(tls|starttls)$")


def _account_view(account: Any) -> dict[str, Any]:
    return {"id": account.id, "name": account.name, "kind": account.kind}


@router.get("/mail/accounts")
def mail_accounts(auth: CurrentUser, state: State) -> dict[str, Any]:
    services = _services(auth, state)
    return {"accounts": [_account_view(a) for a in services.mail.accounts()]}


@router.post("/mail/accounts", status_code=201)
async def connect_mail(body: MailAccountIn, auth: CurrentUser, state: State) -> dict[str, Any]:
    services = _services(auth, state)
    account = await asyncio.to_thread(
        services.mail.connect, host=body.host, username=body.username or body.address,
        password=body.password, address=body.address, port=body.port, security=body.security,
        smtp_host=body.smtp_host, smtp_port=body.smtp_port, smtp_security=body.smtp_security)
    return _account_view(account)


@router.post("/mail/sync")
async def sync_mail(auth: CurrentUser, state: State) -> dict[str, Any]:
    services = _services(auth, state)
    report = await asyncio.to_thread(services.mail.sync)
    return {"new_messages": report.new_messages, "bodies": report.bodies,
            "skipped_large": report.skipped_large}


@router.get("/mail/overview")
def mail_overview(auth: CurrentUser, state: State) -> dict[str, Any]:
    return {"text": _services(auth, state).mail.overview().as_text()}


class CalDavIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000, pattern="^https?://")
    username: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


@router.post("/calendar/accounts", status_code=201)
async def connect_calendar(body: CalDavIn, auth: CurrentUser, state: State) -> dict[str, Any]:
    services = _services(auth, state)
    result = await asyncio.to_thread(services.calendar.connect_caldav, body.url, body.username,
                                     body.password)
    synced = await asyncio.to_thread(services.calendar.sync, result.account_id)
    return {"account_id": result.account_id, "calendars": result.calendars,
            "added": synced.added}


class IcsIn(BaseModel):
    ics: str = Field(min_length=10, max_length=4_000_000)


@router.post("/calendar/import")
async def import_calendar(body: IcsIn, auth: CurrentUser, state: State) -> dict[str, Any]:
    services = _services(auth, state)
    result = await asyncio.to_thread(services.calendar.import_ics, body.ics.encode())
    return {"calendar": result.calendar, "added": result.added, "updated": result.updated,
            "removed": result.removed}


@router.get("/calendar/agenda")
def agenda(auth: CurrentUser, state: State,
           days: int = Query(1, ge=1, le=31)) -> dict[str, Any]:
    services = _services(auth, state)
    start = state.clock.now()
    events = services.calendar.agenda(start, start + timedelta(days=days))
    return {"events": [{"id": e.id, "title": e.title, "when": e.when(),
                        "location": e.location} for e in events]}
