"""One person's pieces: composed for a moment, kept with what they were for, played on demand.

The MIDI lives in the database (a few kilobytes: the piece itself); the rendered WAV is a file
in os1's data folder, rebuilt from the MIDI whenever it is missing. Every query filters on the
owner's id, so another person's piece is simply not there.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from os1.clock import Clock
from os1.emotion.mood import MoodStore, days
from os1.errors import InputError, Os1Error
from os1.store import Store
from os1.store.repos import _aware, storable
from os1.tools.music.compose import DEFAULT_SECONDS, Moment, compose
from os1.tools.music.midi import to_midi
from os1.tools.music.render import render
from os1.tools.music.tables import music_pieces as P
from os1.tools.output import file_stem

NEUTRAL = (0.15, 0.35)  # a gentle, slightly warm calm when nothing is known of the mood
MAX_DESCRIPTION = 500
MOOD_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Mood:
    valence: float
    arousal: float
    labels: list[str] = field(default_factory=list)
    source: str = "given"  # given | timeline | recent | neutral

    def as_dict(self) -> dict[str, Any]:
        return {"valence": round(self.valence, 3), "arousal": round(self.arousal, 3),
                "labels": list(self.labels), "source": self.source}


@dataclass(frozen=True)
class StoredPiece:
    id: int
    title: str
    moment: str  # what it was for, in the person's words
    mood: dict[str, Any]
    plan: dict[str, Any]
    seconds: float
    audio_path: Path | None
    message_id: int | None
    created_at: datetime
    audio_problem: str | None = None  # why there is no sound yet and what to do (not stored)

    def as_dict(self) -> dict[str, Any]:
        plan = self.plan
        return {"id": self.id, "title": self.title, "for": self.moment, "mood": self.mood,
                "key": plan.get("key"), "tempo": plan.get("tempo"),
                "time_signature": plan.get("time_signature"), "form": plan.get("form"),
                "seconds": round(self.seconds, 1), "created_at": self.created_at.isoformat(),
                "audio": str(self.audio_path) if self.audio_path else None,
                "remarks": plan.get("remarks", []),
                **({"audio_problem": self.audio_problem} if self.audio_problem else {})}


def as_mood(mood: Mood | Mapping[str, Any]) -> Mood:
    if isinstance(mood, Mood):
        return mood
    try:
        return Mood(float(mood.get("valence", 0.0)), float(mood.get("arousal", NEUTRAL[1])),
                    [str(x) for x in mood.get("labels") or []], str(mood.get("source", "given")))
    except (TypeError, ValueError) as exc:
        raise InputError(f"That mood isn't one I can use ({exc}).",
                         "Give valence (-1..1), arousal (0..1) and emotion words.") from exc


class MusicService:
    """Composing, keeping and playing one person's pieces."""

    def __init__(self, store: Store, user_id: int, clock: Clock, out_dir: Path,
                 soundfont: str | Path | None = None) -> None:
        self.store = store
        self.user_id = user_id
        self.clock = clock
        self.out_dir = Path(out_dir)
        self.soundfont = soundfont

    # -- composing ------------------------------------------------------------------------
    def compose(self, description: str, *, mood: Mood | Mapping[str, Any] | None = None,
                seconds: float = DEFAULT_SECONDS, seed: int | None = None,
                message_id: int | None = None) -> StoredPiece:
        """Compose, keep (with what it was for) and render a piece. When rendering can't work
        (no FluidSynth, no sound font) the piece is still kept and ``audio_problem`` says why."""
        description = " ".join(str(description).split())[:MAX_DESCRIPTION]
        feeling = self.current_mood() if mood is None else as_mood(mood)
        if seed is None:
            seed = random.SystemRandom().randrange(1, 2**31)
        piece = compose(Moment(description, feeling.valence, feeling.arousal, list(feeling.labels),
                               seconds, int(seed)))
        midi = to_midi(piece)
        with self.store._tx() as conn:
            result = conn.execute(insert(P).values(
                user_id=self.user_id, title=storable(piece.plan.title), moment=storable(description),
                mood=feeling.as_dict(), plan=piece.plan_dict(), seconds=piece.seconds, midi=midi,
                audio_path=None, message_id=message_id, created_at=self.clock.now()))
            piece_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        try:
            self._render(piece_id, piece.plan.title, midi)
        except Os1Error as exc:
            return replace(self.get(piece_id), audio_problem=str(exc))
        return self.get(piece_id)

    def current_mood(self) -> Mood:
        """The person's mood from the timeline: the last day's weighted average and its strongest
        feelings; the recent average when the last day was quiet; a gentle calm when unknown."""
        now = self.clock.now()
        moods = MoodStore(self.store)
        reads = moods.between(self.user_id, now - MOOD_WINDOW, now + timedelta(seconds=1))
        source = "timeline"
        if not reads:
            reads, source = list(reversed(moods.latest(self.user_id, limit=20))), "recent"
        if not reads:
            return Mood(*NEUTRAL, labels=[], source="neutral")
        folded = days(reads)
        weight = sum(d.messages for d in folded)
        valence = sum(d.valence * d.messages for d in folded) / weight
        # the classifier's arousal runs -1 (calm) .. 1 (activated); a piece's runs 0 .. 1
        arousal = (sum(d.arousal * d.messages for d in folded) / weight + 1) / 2
        labels: list[str] = []
        if source == "timeline":
            for day in reversed(folded):  # the latest day's feelings first
                labels += [label for label in day.dominant if label not in labels]
        return Mood(valence, arousal, labels[:3], source)

    # -- reading --------------------------------------------------------------------------
    def list(self) -> list[StoredPiece]:
        """Newest first (without the MIDI)."""
        rows = self.store._read(select(*[c for c in P.c if c.name != "midi"])
                                .where(P.c.user_id == self.user_id)
                                .order_by(P.c.created_at.desc(), P.c.id.desc()))
        return [_stored(row) for row in rows]

    def get(self, piece_id: int) -> StoredPiece:
        rows = self.store._read(select(*[c for c in P.c if c.name != "midi"])
                                .where(P.c.user_id == self.user_id, P.c.id == int(piece_id)))
        if not rows:
            raise _not_found(piece_id)
        return _stored(rows[0])

    def midi(self, piece_id: int) -> bytes:
        rows = self.store._read(select(P.c.midi).where(P.c.user_id == self.user_id,
                                                       P.c.id == int(piece_id)))
        if not rows:
            raise _not_found(piece_id)
        return bytes(rows[0][0])

    def audio(self, piece_id: int) -> Path:
        """The piece's WAV, rendered again from the stored MIDI if the file has gone."""
        stored = self.get(piece_id)
        if stored.audio_path is not None and stored.audio_path.is_file():
            return stored.audio_path
        return self._render(stored.id, stored.title, self.midi(stored.id))

    # -- changing -------------------------------------------------------------------------
    def delete(self, piece_id: int) -> StoredPiece:
        """Forget a piece: its row and its sound file."""
        stored = self.get(piece_id)
        with self.store._tx() as conn:
            conn.execute(delete(P).where(P.c.user_id == self.user_id, P.c.id == stored.id))
        if stored.audio_path is not None:
            stored.audio_path.unlink(missing_ok=True)
        return stored

    def _render(self, piece_id: int, title: str, midi: bytes) -> Path:
        path = self.out_dir / f"{piece_id}-{file_stem(title, fallback='piece')}.wav"
        render(midi, path, soundfont=self.soundfont)
        with self.store._tx() as conn:
            conn.execute(update(P).where(P.c.user_id == self.user_id, P.c.id == piece_id)
                         .values(audio_path=str(path)))
        return path


def _not_found(piece_id: int) -> InputError:
    return InputError(f"There's no piece {piece_id}.",
                      "See your pieces with: os1 music list")


def _stored(row: Any) -> StoredPiece:
    return StoredPiece(
        id=int(row.id), title=row.title, moment=row.moment, mood=dict(row.mood or {}),
        plan=dict(row.plan or {}), seconds=float(row.seconds),
        audio_path=Path(row.audio_path) if row.audio_path else None, message_id=row.message_id,
        created_at=_aware(row.created_at) or row.created_at)
