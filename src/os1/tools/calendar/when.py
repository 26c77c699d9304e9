"""Days and times in the person's words: "Friday at 3pm", "what's on tomorrow?"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta


def when(words: str, now: datetime) -> datetime | None:
    """'Friday at 3pm', 'tomorrow 10:30' → an aware datetime in the local time zone."""
    import dateparser

    local = now.astimezone()
    cleaned = re.sub(r"^(on|at|for|to|by)\s+", "", words.strip(), flags=re.I)
    settings = {"RELATIVE_BASE": local.replace(tzinfo=None), "PREFER_DATES_FROM": "future",
                "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        parsed = dateparser.parse(cleaned, languages=["en"], settings=settings)  # type: ignore[arg-type]
    except (ValueError, OverflowError, TypeError):
        parsed = None
    if parsed is None:
        from dateparser.search import search_dates

        try:
            found = search_dates(cleaned, languages=["en"], settings=settings)  # type: ignore[arg-type]
        except (ValueError, OverflowError, TypeError):
            found = None
        parsed = found[-1][1] if found else None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=local.tzinfo)


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def day_range(text: str, now: datetime) -> tuple[datetime, datetime, str]:
    """The local day (or week) a calendar question is about: start, end, and how to say it."""
    local = now.astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    low = text.lower()
    if "tomorrow" in low:
        start = midnight + timedelta(days=1)
        return start, start + timedelta(days=1), "tomorrow"
    if re.search(r"\b(this|the|next) week\b|\bmy week\b", low):
        start = midnight + timedelta(days=7) if "next week" in low else midnight
        return start, start + timedelta(days=7), "the next seven days"
    for i, day in enumerate(_DAYS):
        if re.search(rf"\b{day}\b", low):
            ahead = (i - local.weekday()) % 7
            if "next" in low and ahead == 0:
                ahead = 7
            start = midnight + timedelta(days=ahead)
            return start, start + timedelta(days=1), f"{day.title()} {start:%d %B}"
    explicit = re.search(r"\b(on|for)\s+(.+?)[?.!]*$", text, re.I)
    if explicit:
        parsed = when(explicit.group(2), now)
        if parsed is not None:
            start = parsed.replace(hour=0, minute=0, second=0, microsecond=0)
            return start, start + timedelta(days=1), f"{start:%A %d %B}"
    return midnight, midnight + timedelta(days=1), "today"
