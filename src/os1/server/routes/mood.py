"""The mood timeline, as data for the chart the page draws."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from os1.emotion.mood import timeline
from os1.server.deps import CurrentUser, State

router = APIRouter(prefix="/api", tags=["mood"])


@router.get("/mood")
def mood(auth: CurrentUser, state: State, days_: int = Query(30, alias="days", ge=1, le=366)
         ) -> dict[str, Any]:
    found = timeline(state.store, auth.user.id, state.clock.now(), days_)
    trend = found.trend
    return {
        "start": found.start.date().isoformat(), "end": found.today.isoformat(),
        "days": [{"date": d.day.isoformat(), "valence": d.valence, "arousal": d.arousal,
                  "labels": d.dominant, "messages": d.messages} for d in found.days],
        "trend": None if trend is None else {"direction": trend.direction,
                                             "this_week": trend.this_week,
                                             "last_week": trend.last_week},
    }
