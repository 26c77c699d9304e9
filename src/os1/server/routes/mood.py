"""The mood timeline, as data for the chart the page draws."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Query

from os1.emotion.mood import MoodStore, days, trend
from os1.memory.store import utc
from os1.server.deps import CurrentUser, State

router = APIRouter(prefix="/api", tags=["mood"])
TREND_DAYS = 14


@router.get("/mood")
def mood(auth: CurrentUser, state: State, days_: int = Query(30, alias="days", ge=1, le=366)
         ) -> dict[str, Any]:
    now = state.clock.now()
    today = now.astimezone().date()
    start = datetime.combine(today - timedelta(days=days_ - 1), time()).astimezone()
    since = min(start, now - timedelta(days=TREND_DAYS))
    reads = MoodStore(state.store).between(auth.user.id, utc(since), utc(now) + timedelta(seconds=1))
    shown = days([r for r in reads if r.created_at >= start])
    found = trend([r for r in reads if r.created_at >= now - timedelta(days=TREND_DAYS)], now)
    return {
        "start": start.date().isoformat(), "end": today.isoformat(),
        "days": [{"date": d.day.isoformat(), "valence": d.valence, "arousal": d.arousal,
                  "labels": d.dominant, "messages": d.messages} for d in shown],
        "trend": None if found is None else {"direction": found.direction,
                                             "this_week": found.this_week,
                                             "last_week": found.last_week},
    }
