"""A composed piece as a standard MIDI file (type 1), playable in any sequencer or synthesizer.

Three tracks: the conductor (tempo, including each step of the closing ritardando, the time and
key signatures, the title) and one per hand, each on its own channel with program 0 (Acoustic
Grand Piano) and the sustain pedal changed with every chord (lifted at the change, pressed
again just after, as a pianist pedals legato). The file ends a second after the last note so
the final chord rings out. The bytes depend only on the piece: same seed, same file.
"""

from __future__ import annotations

import io
from pathlib import Path

import mido

from os1.tools.music.compose import Piece, seconds_at
from os1.tools.output import write_atomically

TICKS_PER_BEAT = 480
PIANO = 0  # General MIDI program 1: Acoustic Grand Piano
CHANNELS = {"right": 0, "left": 1}
SUSTAIN = 64
PEDAL_CATCH = TICKS_PER_BEAT // 8  # the pedal goes down again a 32nd note after the change
RING_SECONDS = 1.0  # silence after the last note, for the final chord's decay


def _tick(beat: float) -> int:
    return round(beat * TICKS_PER_BEAT)


def _track(name: str, events: list[tuple[int, int, mido.Message]]) -> mido.MidiTrack:
    """A track from (absolute tick, order, message): at one tick, lower order goes first."""
    track = mido.MidiTrack()
    # MIDI text is Latin-1 (mido writes it so): a title with "…", emoji or another script
    # keeps what it can rather than failing the whole piece.
    name = name.replace("…", "...").encode("latin-1", "replace").decode("latin-1")
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, _order, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def to_midi(piece: Piece) -> bytes:
    """The piece as the bytes of a standard MIDI file."""
    plan = piece.plan
    end = _tick(piece.total_beats)
    final_bpm = plan.tempo_changes[-1][1]
    last = end + round(RING_SECONDS * final_bpm / 60 * TICKS_PER_BEAT)

    conductor: list[tuple[int, int, mido.Message]] = [
        (0, 0, mido.MetaMessage("time_signature", numerator=plan.meter[0],
                                denominator=plan.meter[1], clocks_per_click=24,
                                notated_32nd_notes_per_beat=8)),
        (0, 1, mido.MetaMessage("key_signature", key=plan.key_signature)),
    ]
    for beat, bpm in plan.tempo_changes:
        conductor.append((_tick(beat), 2, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))))
    conductor.append((last, 9, mido.MetaMessage("end_of_track")))
    tracks = [_track(plan.title[:120], conductor)]

    for hand, channel in CHANNELS.items():
        events: list[tuple[int, int, mido.Message]] = [
            (0, 0, mido.Message("program_change", channel=channel, program=PIANO)),
        ]
        for chord in piece.chords:  # legato pedal: up at the change, down just after
            start = _tick(chord.start)
            if start > 0:
                events.append((start, 2, mido.Message("control_change", channel=channel,
                                                      control=SUSTAIN, value=0)))
            events.append((start + PEDAL_CATCH, 4, mido.Message("control_change", channel=channel,
                                                               control=SUSTAIN, value=127)))
        for note in piece.notes:
            if note.hand != hand:
                continue
            on, off = _tick(note.start), _tick(note.start + note.duration)
            events.append((on, 3, mido.Message("note_on", channel=channel, note=note.pitch,
                                               velocity=note.velocity)))
            events.append((max(off, on + 1), 1, mido.Message("note_off", channel=channel,
                                                             note=note.pitch, velocity=0)))
        events.append((end, 5, mido.Message("control_change", channel=channel, control=SUSTAIN,
                                            value=0)))
        events.append((last, 9, mido.MetaMessage("end_of_track")))
        tracks.append(_track(f"{hand.capitalize()} hand", events))

    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.extend(tracks)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def write_midi(piece: Piece, path: Path) -> Path:
    """Write the piece's MIDI file atomically (never half written)."""
    return write_atomically(Path(path), to_midi(piece))


def midi_seconds(data: bytes) -> float:
    """How long a MIDI file plays, as mido reads it (tempo changes included)."""
    return float(mido.MidiFile(file=io.BytesIO(data)).length)


def expected_seconds(piece: Piece) -> float:
    """The piece's length plus the ring-out the file leaves after the last note."""
    return seconds_at(piece, piece.total_beats) + RING_SECONDS
