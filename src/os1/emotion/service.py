"""One person's emotional sense: read each message, keep the timeline, notice change.

Reading never stands in the way of a reply: without the classifier (not installed, a
damaged file) the companion still answers, the person is told once, and the self-harm
check (os1.emotion.safety, pattern-based) works regardless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from os1.clock import Clock
from os1.emotion import cues, tone
from os1.emotion.classifier import EmotionRead, TextClassifier, load_classifier
from os1.emotion.mood import DayMood, MoodStore, Trend, days, trend
from os1.emotion.prosody import Prosody, SpeakerBaseline, refine
from os1.errors import ModelError, StorageError
from os1.store import Store

log = logging.getLogger(__name__)


class EmotionService:
    def __init__(self, store: Store, clock: Clock, *, user_id: int, user_name: str,
                 classifier: TextClassifier | None, aware: bool = True,
                 problem: str | None = None) -> None:
        self.store = store
        self.moods = MoodStore(store)
        self.clock = clock
        self.user_id = user_id
        self.user_name = user_name
        self.classifier = classifier
        self.aware = aware  # let the read shape replies (off: still read and kept)
        self._problem = problem
        self._trend_day: str | None = None
        self.voice = SpeakerBaseline()  # how this person usually sounds

    def take_notice(self) -> str | None:
        """Said once: why feelings aren't being read."""
        problem, self._problem = self._problem, None
        return problem

    def read(self, message_id: int, text: str, *, prosody: Prosody | None = None,
             at: datetime | None = None) -> EmotionRead | None:
        """Read one message and keep it on the timeline. None when there's no classifier."""
        if self.classifier is None:
            return None
        try:
            result = cues.apply(text, self.classifier.read([text])[0])
        except Exception as exc:  # a reader failing is never a reason not to answer
            log.warning("emotion: reading failed: %s", exc)
            return None
        if prosody is not None:  # against their own usual voice, then learn from this one
            result = refine(result, prosody, self.voice)
            self.voice.update(prosody)
        try:
            self.moods.add(self.user_id, message_id, result, at=at or self.clock.now(),
                           model=self.classifier.name)
        except StorageError as exc:
            log.warning("emotion: not kept on the timeline: %s", exc.what)
        return result

    def tone_line(self, result: EmotionRead | None, *, last_key: str | None) -> tuple[str, dict] | None:
        """The note for the model, and its meta; None when nothing new needs saying."""
        if not self.aware or result is None:
            return None
        key = tone.key_for(result)
        phrase = self.trend_to_mention()
        if key == last_key and phrase is None:
            return None
        line = tone.tone_line(result, self.user_name, trend=phrase)
        if line is None:
            return None
        if phrase is not None:
            self._trend_day = self._today()
        return line, {"kind": "tone", "key": key, "trend": phrase is not None,
                      "labels": result.labels[:3]}

    def _today(self) -> str:
        return self.clock.now().astimezone().date().isoformat()

    def trend(self) -> Trend | None:
        now = self.clock.now()
        try:
            return trend(self.moods.between(self.user_id, now - timedelta(days=14), now
                                            + timedelta(seconds=1)), now)
        except StorageError as exc:
            log.warning("emotion: no trend: %s", exc.what)
            return None

    def trend_to_mention(self) -> str | None:
        """The week's change, at most once a day (the greeting or the first feeling-note)."""
        if not self.aware or self._trend_day == self._today():
            return None
        found = self.trend()
        return found.phrase if found else None

    def mark_trend_mentioned(self) -> None:
        self._trend_day = self._today()

    def timeline(self, days_back: int = 30) -> list[DayMood]:
        now = self.clock.now()
        start = (now.astimezone() - timedelta(days=days_back - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0)
        return days(self.moods.between(self.user_id, start, now + timedelta(seconds=1)))


def build_emotion(store: Store, clock: Clock, *, user_id: int, user_name: str,
                  aware: bool = True, classifier: TextClassifier | None = None,
                  load: bool = True) -> EmotionService:
    problem = None
    if classifier is None and load:
        try:
            classifier = load_classifier()
        except ModelError as exc:
            problem = f"I can't read feelings in messages right now: {exc.what} {exc.fix}"
            log.warning("emotion: %s", problem)
    return EmotionService(store, clock, user_id=user_id, user_name=user_name,
                          classifier=classifier, aware=aware, problem=problem)



