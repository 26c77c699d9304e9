"""A short solo-piano piece for a moment, written by rule rather than by a model.

The mood chooses the plan (``plan.py``: mode, key, tempo, meter, form, progressions, cadences,
title); this writes the notes to it. The melody moves mostly by step, puts chord tones on strong
beats, resolves its leaps and carries one motif through, repeated and varied; each phrase heads
for its half or authentic cadence, the last for a held tonic under a ritardando. The left hand
keeps the plan's pattern (block chords, arpeggio, Alberti bass or broken waltz) and the dynamics
rise to the climax phrase and fall away. Everything comes from ``random.Random(seed)``: same
moment and seed, same notes. The pure functions at the end (duration, last chord, range, notes
out of key) are what tests check.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, NamedTuple

from os1.tools.music.plan import (
    CHORDS,
    DEFAULT_SECONDS,
    DORIAN_SIGNATURE,
    IN_KEY,
    MAX_SECONDS,
    MELODY_LIMITS,
    MIN_SECONDS,
    NEGATIVE,
    PHRASE_BARS,
    PITCH_CLASS,
    POSITIVE,
    PREDOMINANTS,
    PROGRESSIONS,
    RITARDANDO,
    SCALES,
    TENDER,
    TONICS,
    WARM,
    WISTFUL,
    Chord,
    Moment,
    Plan,
    cadence_for,
    choose_mode,
    form_for,
    is_bittersweet,
    nominal_tempo,
    normalise,
    sketch,
    title_for,
)

__all__ = [  # what moved to plan.py is still importable from here
    "BASS_FLOOR", "CHORDS", "DEFAULT_SECONDS", "DORIAN_SIGNATURE", "HALF_CADENCE_RHYTHMS", "IN_KEY",
    "MAX_SECONDS", "MELODY_LIMITS", "MIN_SECONDS", "MOVES", "NEGATIVE", "PHRASE_BARS", "PITCH_CLASS",
    "POSITIVE", "PREDOMINANTS", "PROGRESSIONS", "RHYTHMS", "RITARDANDO", "SCALES", "TENDER", "TONICS",
    "WARM", "WISTFUL", "Chord", "Moment", "Note", "Piece", "Plan", "bass", "cadence_for", "choose_mode",
    "compose", "duration_seconds", "form_for", "is_bittersweet", "last_chord_is_tonic", "melody",
    "melody_in_range", "nominal_tempo", "normalise", "notes_out_of_key", "phrase_velocities",
    "seconds_at", "title_for", "tonic_pc",
]

BASS_FLOOR = 38  # D2: the lowest chord root; the left hand stays under the tune (≤ F4)

# One bar's rhythms (beats), by how busy the mood is.
RHYTHMS: dict[int, dict[str, list[list[float]]]] = {
    4: {"calm": [[2, 2], [3, 1], [2, 1, 1], [1, 1, 2]],
        "flowing": [[1, 1, 1, 1], [1.5, 0.5, 1, 1], [1, 1, 2], [1.5, 0.5, 2], [2, 1, 1]],
        "lively": [[1, 0.5, 0.5, 1, 1], [0.5, 0.5, 1, 1, 1], [1, 1, 0.5, 0.5, 1],
                   [1.5, 0.5, 1, 1]]},
    3: {"calm": [[2, 1], [1, 2], [1.5, 0.5, 1]],
        "flowing": [[1, 1, 1], [2, 1], [1.5, 0.5, 1]],
        "lively": [[1, 0.5, 0.5, 1], [0.5, 0.5, 1, 1], [1.5, 0.5, 1]]},
}
HALF_CADENCE_RHYTHMS = {4: [[2, 2], [1, 1, 2], [4]], 3: [[1, 2], [3]]}
MOVES = [(1, 30), (-1, 30), (2, 10), (-2, 10), (0, 6), (3, 5), (-3, 5), (4, 2), (-4, 2)]


@dataclass(frozen=True)
class Note:
    pitch: int  # MIDI note number
    start: float  # beats from the start of the piece
    duration: float  # beats
    velocity: int  # 1..127
    hand: str  # right | left
    chromatic: bool = False  # deliberately outside the key (a borrowed or secondary chord)



@dataclass(frozen=True)
class Piece:
    plan: Plan
    chords: list[Chord]
    notes: list[Note]
    moment: Moment

    @property
    def beats_per_bar(self) -> int:
        return self.plan.meter[0]

    @property
    def total_beats(self) -> float:
        return len(self.plan.form) * PHRASE_BARS * self.beats_per_bar

    @property
    def seconds(self) -> float:
        return duration_seconds(self)

    def plan_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data, for the ``music_pieces.plan`` column."""
        p = self.plan
        return {
            "title": p.title, "key": f"{p.tonic} {p.mode}", "tonic": p.tonic, "mode": p.mode,
            "key_signature": p.key_signature, "tempo": p.tempo,
            "tempo_changes": [list(t) for t in p.tempo_changes],
            "time_signature": f"{p.meter[0]}/{p.meter[1]}", "form": list(p.form),
            "progression": [[c.symbol for c in self.chords if c.phrase == i]
                            for i in range(len(p.form))],
            "progressions": list(p.progressions), "cadences": list(p.cadences),
            "accompaniment": p.accompaniment, "melody_range": list(p.melody_range),
            "climax_phrase": p.climax_phrase, "bittersweet": p.bittersweet,
            "motif": p.motif, "bars": len(p.form) * PHRASE_BARS,
            "seconds": round(self.seconds, 2), "seed": p.seed, "remarks": list(p.remarks),
            "notes": len(self.notes),
        }


def compose(moment: Moment) -> Piece:
    """The piece for this moment (the same moment and seed always give the same piece)."""
    return _Composer(moment).write()


# -- writing it -----------------------------------------------------------------------------------
class _Motif(NamedTuple):
    rhythm: list[float]
    steps: list[int]


class _Composer:
    def __init__(self, moment: Moment) -> None:
        s = self.sketch = sketch(moment)  # the plan's choices come first from the random stream
        self.moment, self.rng, self.mode, self.beats = s.moment, s.rng, s.mode, s.beats
        self.tonic_pc, self.scale, self.range = s.tonic_pc, s.scale, s.melody_range
        self.accompaniment, self.density, self.total = s.accompaniment, s.density, s.total
        self.form, self.cadences, self.climax, self.chords = s.form, s.cadences, s.climax, s.chords
        self.tonic_base = 60 + self.tonic_pc  # degree 0 of the melody
        # a semitone inside the range: a borrowed chord may raise or lower a degree by one
        self.d_lo = min(d for d in range(-14, 28) if self._plain_pitch(d) > self.range[0])
        self.d_hi = max(d for d in range(-14, 28) if self._plain_pitch(d) < self.range[1])
        self.notes: list[Note] = []
        self.prev: int | None = None  # the melody's last scale degree
        self.last_move = 0
        self._chord_starts = [c.start for c in self.chords]
        self.motif = _Motif([], [])

    def chord_at(self, beat: float) -> Chord:
        return self.chords[bisect_right(self._chord_starts, beat + 1e-9) - 1]

    # -- pitches --------------------------------------------------------------------------
    def _plain_pitch(self, degree: int) -> int:
        return self.tonic_base + 12 * (degree // 7) + self.scale[degree % 7]

    def _alterations(self, chord: Chord) -> dict[int, int]:
        """Scale degree → semitones above the tonic, as this chord spells it (V's leading tone)."""
        deg = CHORDS[chord.symbol][0]
        return {(deg + 2 * k) % 7: (chord.root + iv) % 12 for k, iv in enumerate(chord.intervals)}

    def pitch(self, degree: int, chord: Chord) -> int:
        pc = self._alterations(chord).get(degree % 7, self.scale[degree % 7])
        return self.tonic_base + 12 * (degree // 7) + pc

    def _tones(self, chord: Chord) -> set[int]:
        return set(self._alterations(chord))

    def _snap(self, want: int, chord: Chord, prev: int | None, away_from: int = 0) -> int:
        """The chord tone nearest ``want`` in range, keeping the line's direction; after a leap,
        only ones that turn back."""
        tones = self._tones(chord)
        options = [d for d in range(self.d_lo, self.d_hi + 1) if d % 7 in tones]
        if prev is not None:
            heading = -away_from if away_from else want - prev
            if heading:
                onward = [d for d in options if (d - prev) * heading > 0 and abs(d - prev) <= 3]
                options = onward or options
        return min(options, key=lambda d: (abs(d - want), d))

    def _clamp(self, want: int, prev: int | None) -> int:
        if want > self.d_hi or want < self.d_lo:
            want = prev - (want - prev) if prev is not None else want  # turn back
        return max(self.d_lo, min(self.d_hi, want))

    # -- melody ---------------------------------------------------------------------------
    def _motif(self, rhythm: list[float]) -> _Motif:
        moves, weights = zip(*MOVES, strict=True)
        while True:
            steps = self.rng.choices(moves, weights, k=len(rhythm) - 1)
            if any(steps) and abs(sum(steps)) <= 3:
                return _Motif(rhythm, list(steps))

    def _rhythm(self, min_notes: int = 2) -> list[float]:
        return list(self.rng.choice([r for r in RHYTHMS[self.beats][self.density] if len(r) >= min_notes]))

    def _line(self, bar_start: float, rhythm: list[float], first: int, steps: list[int] | None,
              end: int | None = None, approach: bool = False) -> None:
        """One bar of melody: following ``steps`` (or heading for ``end``), chord tones on strong
        beats, every leap answered by a step back."""
        t, start_deg, n = bar_start, self.prev if self.prev is not None else first, len(rhythm)
        for i, duration in enumerate(rhythm):
            chord = self.chord_at(t)
            prev = self.prev
            if i == 0:
                want = first
            elif steps is not None:
                want = prev + steps[(i - 1) % len(steps)] if prev is not None else first
            else:
                want = round(start_deg + ((end if end is not None else first) - start_deg) * (i + 1) / n)
                if prev is not None and want == prev:
                    want += 1 if self.rng.random() < 0.5 else -1
            leap = self.last_move if abs(self.last_move) >= 3 else 0
            if leap and prev is not None:
                want = prev - (1 if leap > 0 else -1)
            if end is not None and i == n - 1:
                degree = end
            elif end is not None and approach and i == n - 2:
                degree = self._approach(end, prev, leap)
            elif t - bar_start in (0, 2 if self.beats == 4 else 0):  # strong beats: chord tones
                degree = self._snap(self._clamp(want, prev), chord, prev, leap)
            else:
                degree = self._clamp(want, prev)
            self._emit(degree, t, duration, chord)
            t += duration

    def _approach(self, goal: int, prev: int | None, leap: int) -> int:
        options = [d for d in (goal + 1, goal - 1) if self.d_lo <= d <= self.d_hi]
        if leap and prev is not None:
            options = [d for d in options if (d - prev) * leap < 0] or options
        return min(options or [goal], key=lambda d: (abs(d - (prev if prev is not None else goal)), d))

    def _emit(self, degree: int, start: float, duration: float, chord: Chord) -> None:
        pitch = self.pitch(degree, chord)
        if self.prev is not None:
            self.last_move = degree - self.prev
        self.prev = degree
        self.notes.append(self._note(pitch, start, duration, "right", chord))

    def _nearest(self, classes: set[int], near: int) -> int:
        return min((d for d in range(self.d_lo, self.d_hi + 1) if d % 7 in classes),
                   key=lambda d: (abs(d - near), d))

    def _melody(self) -> None:
        B = self.beats
        motifs = {"A": self._motif(self._rhythm())}
        b_steps = [-s for s in motifs["A"].steps]
        b_rhythm = self._rhythm()
        motifs["B"] = _Motif(b_rhythm, (b_steps * len(b_rhythm))[:len(b_rhythm) - 1] or [1])
        motifs["C"] = self._motif(self._rhythm())
        self.motif = motifs["A"]
        centre = (self.d_lo + self.d_hi) // 2 - 1
        for index, (label, cadence) in enumerate(zip(self.form, self.cadences, strict=True)):
            letter, variant = label[0], label.count("'")
            start = index * PHRASE_BARS * B
            motif = motifs[letter]
            lift = 3 if index == self.climax else 2 if letter != "A" else 0
            self.prev, self.last_move = None, 0
            first = self._nearest(self._tones(self.chord_at(start)), centre + lift)
            self._line(start, motif.rhythm, first, motif.steps)
            # bar 2: the motif again: a sequence, then mirrored, then ornamented and lifted
            rhythm, steps, shift = motif.rhythm, motif.steps, (-1 if letter == "A" else 1)
            if variant % 2 == 1:
                steps = [-s for s in steps]
            elif variant >= 2:
                rhythm, shift = _ornamented(rhythm), 2
                steps = (steps + [1, -1])[:len(rhythm) - 1]
            self._line(start + B, rhythm, self._clamp(first + shift, self.prev), steps)
            # bars 3 and 4: toward the cadence
            near = self.prev if self.prev is not None else first
            if cadence == "half":  # bar 3 lands on a chord tone, bar 4 rests on the dominant
                rhythm = self._rhythm()
                landing = self.chord_at(start + 2 * B + sum(rhythm[:-1]))
                end = self._nearest(self._tones(landing), near + self.rng.choice((-1, 1)))
                self._line(start + 2 * B, rhythm, self._clamp(near + (1 if end >= near else -1), near),
                           None, end=end)
                near = self.prev if self.prev is not None else end
                goal = self._nearest({4, 6, 1}, near)
                rhythm = list(self.rng.choice(HALF_CADENCE_RHYTHMS[B]))
                self._line(start + 3 * B, rhythm, goal if len(rhythm) == 1 else near, None, end=goal,
                           approach=len(rhythm) >= 3)
            else:  # bar 3 ends on the dominant a step from the goal: 2-1, 7-1 (or 2-3, 4-3)
                goal = self._nearest({0} if cadence == "perfect" or self.rng.random() < 0.6 else {2}, near)
                steps_in = [d for d in (goal - 1, goal + 1) if self.d_lo <= d <= self.d_hi] or [goal]
                approach = self.rng.choice(steps_in)
                fits = [r for r in RHYTHMS[B][self.density] if len(r) >= 2 and sum(r[:-1]) >= B - 2]
                self._line(start + 2 * B, list(self.rng.choice(fits)), self._clamp(
                    near + (1 if approach > near else -1), near), None, end=approach)
                self._line(start + 3 * B, [float(B)], goal, None, end=goal)

    # -- the left hand ----------------------------------------------------------------------
    def _accompany(self) -> None:
        """The left hand: a bass from D2 and the chord closed up under the tune (E3..D#4)."""
        final = self.chords[-1]
        for chord in self.chords:
            b = BASS_FLOOR + (self.tonic_pc + chord.root - BASS_FLOOR) % 12
            iv = chord.intervals
            up = [52 + (b + i - 52) % 12 for i in iv]  # the chord's tones between E3 and D#4
            span, at = chord.beats, chord.start
            events: list[tuple[float, int, float]]  # (offset, pitch, duration)
            if chord is final:
                roots = [b - 12, b] if b - 12 >= 33 else [b]  # the deepest tonic the piano has here
                events = [(0.0, p, span) for p in roots + up[1:3]]
            elif self.accompaniment == "block chords":
                step = 2 if self.beats == 4 else int(span)
                events = [(0.0, b, span)] + [(float(o), p, min(step, span - o))
                                             for o in range(0, int(span), step) for p in up[1:]]
            elif self.accompaniment == "arpeggio":
                tones = sorted({b, b + iv[2], b + 12, up[-1] if up[-1] > b + 12 else up[1]})
                order = [0, 1, 2, 3, 2, 1] if len(tones) == 4 else [0, 1, 2, 1]
                events = [(0.0, b, span)] + [(k / 2, tones[order[k % len(order)]], 0.5)
                                            for k in range(1, int(span * 2))]
            elif self.accompaniment == "Alberti bass":
                high = [b + iv[2], b + (iv[3] if len(iv) > 3 else iv[2])]
                cell = [b, high[0], b + iv[1], high[1]]
                events = [(k / 2, cell[k % 4], 0.5) for k in range(int(span * 2))]
            else:  # broken waltz: the bass, then the chord rising above it
                rising = [(1.0, b + iv[2]), (1.5, up[1]), (2.0, up[2]), (2.5, up[1])]
                events = [(0.0, b, span)] + [(o, p, 0.5) for o, p in rising if o < span]
            for offset, pitch, duration in events:
                self.notes.append(self._note(pitch, at + offset, duration, "left", chord))

    # -- dynamics -------------------------------------------------------------------------
    def _velocity(self, beat: float, hand: str) -> int:
        """p at the start, a crescendo to the climax, a softer ending; accents on downbeats."""
        a, B = self.moment.arousal, self.beats
        low, high = 44 + 26 * a, 66 + 36 * a
        peak = min((self.climax * PHRASE_BARS + 2.5) * B, 0.85 * self.total)
        end = low - 10
        if beat <= peak:
            level = low + (high - low) * beat / peak
        else:
            level = high + (end - high) * (beat - peak) / max(self.total - peak, 1e-6)
        phrase_pos = (beat % (PHRASE_BARS * B)) / (PHRASE_BARS * B)
        level += 4 * math.sin(math.pi * phrase_pos) + (4 if beat % B == 0 else 0)
        level += self.rng.uniform(-2, 2)
        if hand == "left":
            level -= 12 if beat % B == 0 else 16
        return max(20, min(118, round(level)))

    def _note(self, pitch: int, start: float, duration: float, hand: str, chord: Chord) -> Note:
        out = (pitch - self.tonic_pc) % 12 not in IN_KEY[self.mode]
        deliberate = any((chord.root + i) % 12 not in IN_KEY[self.mode] for i in chord.intervals)
        return Note(pitch, start, duration, self._velocity(start, hand), hand, out and deliberate)

    def write(self) -> Piece:
        self._melody()
        self._accompany()
        notes = sorted(self.notes, key=lambda n: (n.start, n.hand != "right", -n.pitch))
        plan = self.sketch.plan({"rhythm": list(self.motif.rhythm),
                                 "steps": [float(s) for s in self.motif.steps]})
        return Piece(plan, self.chords, notes, self.moment)


def _ornamented(rhythm: list[float]) -> list[float]:
    """The motif's rhythm with its longest note split in two (a neighbour note added)."""
    longest = max(range(len(rhythm)), key=lambda i: (rhythm[i], -i))
    half = rhythm[longest] / 2
    return rhythm[:longest] + [half, half] + rhythm[longest + 1:]


# -- what the tests (and the person) can check -----------------------------------------------------
def seconds_at(piece: Piece, beat: float) -> float:
    """Seconds from the start to ``beat``, through the tempo changes (the ritardando)."""
    changes = piece.plan.tempo_changes
    total = 0.0
    for i, (at, bpm) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else math.inf
        if beat <= at:
            break
        total += (min(beat, until) - at) * 60.0 / bpm
    return total


def duration_seconds(piece: Piece) -> float:
    return seconds_at(piece, piece.total_beats)


def melody(piece: Piece) -> list[Note]:
    """The right hand: the tune (the left hand, ``bass``, accompanies)."""
    return [n for n in piece.notes if n.hand == "right"]


def bass(piece: Piece) -> list[Note]:
    return [n for n in piece.notes if n.hand == "left"]


def tonic_pc(piece: Piece) -> int:
    return PITCH_CLASS[piece.plan.tonic]


def last_chord_is_tonic(piece: Piece) -> bool:
    """The final chord is the tonic, its lowest note and the melody's last note too."""
    last = piece.chords[-1]
    final_bass = [n for n in bass(piece) if n.start >= last.start]
    return (last.root == 0 and melody(piece)[-1].pitch % 12 == tonic_pc(piece)
            and min(n.pitch for n in final_bass) % 12 == tonic_pc(piece))


def melody_in_range(piece: Piece) -> bool:
    low, high = piece.plan.melody_range
    return all(low <= n.pitch <= high and MELODY_LIMITS[0] <= n.pitch <= MELODY_LIMITS[1]
               for n in melody(piece))


def notes_out_of_key(piece: Piece) -> list[Note]:
    """Notes outside the key that no borrowed or secondary chord asked for: should be none."""
    key = IN_KEY[piece.plan.mode]
    return [n for n in piece.notes if (n.pitch - tonic_pc(piece)) % 12 not in key and not n.chromatic]


def phrase_velocities(piece: Piece) -> list[float]:
    """The melody's mean velocity in each phrase: the piece's dynamic arc."""
    span = PHRASE_BARS * piece.beats_per_bar
    out = []
    for i in range(len(piece.plan.form)):
        group = [n.velocity for n in melody(piece) if i * span <= n.start < (i + 1) * span]
        out.append(sum(group) / len(group) if group else 0.0)
    return out
