"""The mood timeline: each message's read, stored, and folded into days.

A day is the person's local calendar day. Its valence and arousal are the mean over that
day's messages, weighted by how clearly each carried a feeling (a string of neutral
"ok"s doesn't flatten a sad evening to zero). Its dominant emotions are the non-neutral
labels with the most weight.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from os1.emotion.classifier import EmotionRead
from os1.memory.store import utc
from os1.store import Store
from os1.store import schema as s

TREND_MIN_MESSAGES = 3  # per week, before saying anything about a change
TREND_DELTA = 0.15  # mean valence change between weeks worth mentioning
TREND_DAYS = 14  # 'this week against last' needs two weeks, whatever span is drawn


@dataclass(frozen=True)
class StoredRead:
    message_id: int
    created_at: datetime
    valence: float
    arousal: float
    dominant: str
    labels: list[str]
    scores: dict[str, float]
    source: str


@dataclass(frozen=True)
class DayMood:
    day: date
    messages: int
    valence: float
    arousal: float
    dominant: list[str]  # up to three, strongest first; [] when the day was all neutral


@dataclass(frozen=True)
class Trend:
    direction: str  # lighter | heavier
    this_week: float
    last_week: float
    phrase: str  # for the model: "they've seemed lighter this week than last"


class MoodStore:
    """Reads by owner. Every statement filters on ``user_id``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, user_id: int, message_id: int, read: EmotionRead, *, at: datetime,
            model: str) -> None:
        with self.store._tx() as conn:
            conn.execute(s.message_emotions.insert().values(
                message_id=message_id, user_id=user_id, created_at=utc(at), valence=read.valence,
                arousal=read.arousal, dominant=read.dominant, labels=read.labels,
                scores=read.scores, source=read.source, prosody=read.prosody, model=model))

    def between(self, user_id: int, start: datetime, end: datetime) -> list[StoredRead]:
        t = s.message_emotions
        rows = self.store._read(select(t).where(
            t.c.user_id == user_id, t.c.created_at >= utc(start), t.c.created_at < utc(end))
            .order_by(t.c.created_at))
        return [_stored(r) for r in rows]

    def latest(self, user_id: int, limit: int = 20) -> list[StoredRead]:
        t = s.message_emotions
        rows = self.store._read(select(t).where(t.c.user_id == user_id)
                                .order_by(t.c.created_at.desc()).limit(limit))
        return [_stored(r) for r in rows]

    def count(self, user_id: int) -> int:
        t = s.message_emotions
        rows = self.store._read(select(func.count()).select_from(t).where(t.c.user_id == user_id))
        return int(rows[0][0])

    def clear(self, user_id: int, *, before: datetime | None = None) -> int:
        t = s.message_emotions
        condition = t.c.user_id == user_id
        if before is not None:
            condition = condition & (t.c.created_at < utc(before))
        with self.store._tx() as conn:
            return int(conn.execute(t.delete().where(condition)).rowcount or 0)


def _stored(row: Any) -> StoredRead:
    return StoredRead(row.message_id, utc(row.created_at), row.valence, row.arousal,
                      row.dominant, list(row.labels), dict(row.scores), row.source)


def _weight(read: StoredRead) -> float:
    strongest = max((v for k, v in read.scores.items() if k != "neutral"), default=0.0)
    return 0.15 + strongest  # a neutral message still counts, a little


def days(reads: list[StoredRead]) -> list[DayMood]:
    """Fold reads into local calendar days, oldest first (days without messages omitted)."""
    by_day: dict[date, list[StoredRead]] = defaultdict(list)
    for read in reads:
        by_day[read.created_at.astimezone().date()].append(read)
    out = []
    for day in sorted(by_day):
        group = by_day[day]
        weights = [_weight(r) for r in group]
        total = sum(weights)
        valence = sum(w * r.valence for w, r in zip(weights, group, strict=True)) / total
        arousal = sum(w * r.arousal for w, r in zip(weights, group, strict=True)) / total
        felt: dict[str, float] = defaultdict(float)
        for r in group:
            for label, score in r.scores.items():
                if label != "neutral" and label in r.labels:
                    felt[label] += score
        dominant = [k for k, _ in sorted(felt.items(), key=lambda kv: -kv[1])[:3]]
        out.append(DayMood(day, len(group), round(valence, 3), round(arousal, 3), dominant))
    return out


def trend(reads: list[StoredRead], now: datetime) -> Trend | None:
    """This week against last week, when both have enough to go on and they differ."""
    this = [r for r in reads if now - timedelta(days=7) <= r.created_at <= now]
    last = [r for r in reads if now - timedelta(days=14) <= r.created_at < now - timedelta(days=7)]
    if len(this) < TREND_MIN_MESSAGES or len(last) < TREND_MIN_MESSAGES:
        return None

    def mean(group: list[StoredRead]) -> float:
        weights = [_weight(r) for r in group]
        return sum(w * r.valence for w, r in zip(weights, group, strict=True)) / sum(weights)

    now_v, then_v = mean(this), mean(last)
    if abs(now_v - then_v) < TREND_DELTA:
        return None
    direction = "lighter" if now_v > then_v else "heavier"
    return Trend(direction, round(now_v, 3), round(then_v, 3),
                 f"they've seemed {direction} this week than last")


@dataclass(frozen=True)
class Timeline:
    """The last ``span`` days of a person's moods (today included), as a chart shows them."""

    start: datetime  # local midnight of the first day drawn
    today: date
    days: list[DayMood]  # oldest first; days without messages omitted
    trend: Trend | None


def timeline(store: Store, user_id: int, now: datetime, span: int) -> Timeline:
    """One read of the timeline for the terminal chart and the web page's alike."""
    today = now.astimezone().date()
    start = datetime.combine(today - timedelta(days=span - 1), time()).astimezone()
    since = min(start, now - timedelta(days=TREND_DAYS))
    # The store keeps UTC without an offset: compare in UTC too.
    reads = MoodStore(store).between(user_id, utc(since), utc(now) + timedelta(seconds=1))
    shown = days([r for r in reads if r.created_at >= start])
    found = trend([r for r in reads if r.created_at >= now - timedelta(days=TREND_DAYS)], now)
    return Timeline(start, today, shown, found)
