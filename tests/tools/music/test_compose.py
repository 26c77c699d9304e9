"""The composer and the MIDI writer: mood → plan, form and cadences, range, key, dynamics,
determinism, and a MIDI file that reads back as what was planned."""

from __future__ import annotations

import io
import itertools

import mido
import pytest

from os1.tools.music.compose import (
    IN_KEY,
    PHRASE_BARS,
    PITCH_CLASS,
    Moment,
    Piece,
    bass,
    compose,
    duration_seconds,
    last_chord_is_tonic,
    melody,
    melody_in_range,
    notes_out_of_key,
    phrase_velocities,
)
from os1.tools.music.midi import RING_SECONDS, midi_seconds, to_midi

SAD = {"valence": -0.7, "arousal": 0.15, "labels": ["sadness", "grief"]}
HAPPY = {"valence": 0.8, "arousal": 0.8, "labels": ["joy", "excitement"]}
TENDER = {"valence": 0.5, "arousal": 0.3, "labels": ["love", "caring"]}
RESTLESS = {"valence": -0.3, "arousal": 0.7, "labels": ["nervousness"]}
BITTERSWEET = {"valence": 0.3, "arousal": 0.4, "labels": ["love", "sadness"]}
MOODS = [SAD, HAPPY, TENDER, RESTLESS, BITTERSWEET]
BEACH = "the night we walked on the beach"


def piece(mood: dict, seconds: float = 60, seed: int = 1, description: str = BEACH) -> Piece:
    return compose(Moment(description=description, seconds=seconds, seed=seed, **mood))


def tonic(p: Piece) -> int:
    return PITCH_CLASS[p.plan.tonic]


@pytest.mark.parametrize("seed", range(5))
def test_sad_is_minor_and_slower_happy_is_major_and_faster(seed: int) -> None:
    sad, happy = piece(SAD, seed=seed), piece(HAPPY, seed=seed)
    assert sad.plan.mode == "minor"
    assert happy.plan.mode == "major"
    assert sad.plan.tempo < 80 < 100 < happy.plan.tempo
    assert sad.plan.key_signature.endswith("m") and not happy.plan.key_signature.endswith("m")
    assert sad.plan.accompaniment == "block chords"
    assert happy.plan.accompaniment == "Alberti bass"


def test_restless_heavy_mood_is_dorian_and_tender_one_a_waltz() -> None:
    restless, tender = piece(RESTLESS), piece(TENDER)
    assert restless.plan.mode == "dorian"
    assert tender.plan.meter == (3, 4) and tender.plan.accompaniment == "broken waltz"
    assert tender.plan.title.startswith("Nocturne for the night we walked")  # "night" → nocturne
    assert piece(TENDER, description="my sister's wedding").plan.title == \
        "Waltz for my sister's wedding"
    assert piece({"valence": 0.2, "arousal": 0.45, "labels": []}).plan.accompaniment == "arpeggio"


@pytest.mark.parametrize(("seconds", "mood"), list(itertools.product((30, 60, 90), MOODS)))
def test_duration_is_within_ten_percent_of_the_request(seconds: float, mood: dict) -> None:
    p = piece(mood, seconds=seconds, seed=int(seconds))
    assert abs(duration_seconds(p) - seconds) <= 0.1 * seconds
    assert abs(p.plan_dict()["seconds"] - seconds) <= 0.1 * seconds


def test_seconds_out_of_range_are_clamped_and_said() -> None:
    long, short = piece(HAPPY, seconds=300), piece(HAPPY, seconds=5)
    assert abs(long.seconds - 90) <= 9 and abs(short.seconds - 30) <= 3
    assert "300" in long.plan.remarks[0] and "90" in long.plan.remarks[0]
    assert "30" in short.plan.remarks[0]
    assert piece(HAPPY, seconds=60).plan.remarks == []


@pytest.mark.parametrize(("mood", "seed"), list(itertools.product(MOODS, range(4))))
def test_ends_on_a_perfect_authentic_cadence(mood: dict, seed: int) -> None:
    p = piece(mood, seed=seed)
    assert last_chord_is_tonic(p)
    assert melody(p)[-1].pitch % 12 == tonic(p)
    final_chord = p.chords[-1]
    last_bass = min((n for n in bass(p) if n.start >= final_chord.start), key=lambda n: n.pitch)
    assert last_bass.pitch % 12 == tonic(p)
    assert p.chords[-2].symbol in ("V", "V7")
    assert p.plan.cadences[-1] == "perfect"
    # the final tonic is held: it lasts the whole last bar
    assert melody(p)[-1].start + melody(p)[-1].duration == p.total_beats
    # ritardando: every tempo change slower than the one before
    tempi = [bpm for _beat, bpm in p.plan.tempo_changes]
    assert len(tempi) >= 3 and all(b < a for a, b in itertools.pairwise(tempi))


@pytest.mark.parametrize("mood", MOODS)
def test_phrases_of_four_bars_with_cadences(mood: dict) -> None:
    p = piece(mood, seconds=60, seed=3)
    form, bar = p.plan.form, p.beats_per_bar
    assert form[:2] == ["A", "A'"] and form[-1][0] == "A" and len(form) >= 3
    assert any(label[0] == "B" for label in form)
    assert p.total_beats == len(form) * PHRASE_BARS * bar
    assert len(p.plan_dict()["progression"]) == len(form) == len(p.plan.cadences)
    home = "I" if p.plan.mode == "major" else "i"
    for index, cadence in enumerate(p.plan.cadences):
        chords = [c for c in p.chords if c.phrase == index]
        assert chords[0].start == index * PHRASE_BARS * bar
        if cadence == "half":
            assert chords[-1].symbol == "V" and chords[-1].beats == bar
        else:
            assert chords[-1].root == 0 and chords[-1].symbol in (home, "I")
            assert chords[-2].symbol == "V7"
    assert p.plan.cadences[0] == "half" and p.plan.cadences[1] == "authentic"


@pytest.mark.parametrize("mood", MOODS)
def test_dynamics_rise_to_a_climax_and_fall_at_the_end(mood: dict) -> None:
    p = piece(mood, seconds=60, seed=5)
    arc = phrase_velocities(p)
    climax = p.plan.climax_phrase
    assert 0 < climax < len(arc) - 1
    assert arc[climax] > arc[0] + 5 and arc[climax] > arc[-1] + 5
    assert melody(p)[-1].velocity < max(n.velocity for n in melody(p)) - 10
    louder = piece({**mood, "arousal": min(1.0, mood["arousal"] + 0.5)}, seed=5)
    assert max(phrase_velocities(louder)) > max(arc)


@pytest.mark.parametrize(("mood", "seed"), list(itertools.product(MOODS, range(6))))
def test_melody_in_range_and_notes_in_key(mood: dict, seed: int) -> None:
    p = piece(mood, seconds=45, seed=seed)
    assert melody_in_range(p)
    low, high = p.plan.melody_range
    assert high - low >= 18
    assert notes_out_of_key(p) == []
    key = IN_KEY[p.plan.mode]
    for note in p.notes:
        assert ((note.pitch - tonic(p)) % 12 in key) != note.chromatic
    assert all(28 <= n.pitch <= 64 for n in bass(p))  # the left hand stays under the tune
    struck = [(n.hand, n.pitch, n.start) for n in p.notes]
    assert len(struck) == len(set(struck))  # no key struck twice at once


def test_bittersweet_borrows_chords_from_outside_the_key() -> None:
    p = piece(BITTERSWEET, seconds=60, seed=2)
    assert p.plan.bittersweet and p.plan.mode == "major"
    symbols = {c.symbol for c in p.chords}
    assert symbols & {"iv", "V/V", "V/vi"}
    assert any(n.chromatic for n in p.notes)
    plain = piece(HAPPY, seconds=60, seed=2)
    assert not plain.plan.bittersweet and not any(n.chromatic for n in plain.notes)


def test_the_motif_returns_in_every_a_phrase() -> None:
    p = piece(TENDER, seconds=90, seed=4)
    rhythm = p.plan.motif["rhythm"]
    span = PHRASE_BARS * p.beats_per_bar
    a_phrases = [i for i, label in enumerate(p.plan.form) if label[0] == "A"]
    assert len(a_phrases) >= 3
    for index in a_phrases:
        first_bar = [n for n in melody(p) if index * span <= n.start < index * span + p.beats_per_bar]
        assert [n.duration for n in first_bar] == rhythm


def test_melody_moves_mostly_by_step_and_leaps_turn_back() -> None:
    steps = leaps = turned = 0
    for mood, seed in itertools.product(MOODS, range(8)):
        p = piece(mood, seed=seed)
        span = PHRASE_BARS * p.beats_per_bar
        tune = melody(p)
        for a, b, c in zip(tune, tune[1:], tune[2:], strict=False):
            if int(a.start // span) != int(c.start // span):
                continue  # a new phrase may begin anywhere
            move = b.pitch - a.pitch
            steps += abs(move) <= 2
            if abs(move) >= 5:
                leaps += 1
                turned += (c.pitch - b.pitch) * move < 0
    assert steps > 2 * leaps
    assert turned >= 0.9 * leaps


def test_same_seed_same_midi_other_seed_other_tune() -> None:
    one, again, other = piece(HAPPY, seed=11), piece(HAPPY, seed=11), piece(HAPPY, seed=12)
    assert to_midi(one) == to_midi(again)
    assert [n.pitch for n in melody(one)] != [n.pitch for n in melody(other)]
    assert to_midi(one) != to_midi(other)
    assert one.plan_dict()["seed"] == 11


@pytest.mark.parametrize("mood", [SAD, TENDER])
def test_midi_reads_back_as_planned(mood: dict) -> None:
    p = piece(mood, seconds=40, seed=9)
    data = to_midi(p)
    midi = mido.MidiFile(file=io.BytesIO(data))
    assert midi.type == 1 and len(midi.tracks) == 3
    meta = [m for m in midi.tracks[0] if m.is_meta]
    tempos = [m.tempo for m in meta if m.type == "set_tempo"]
    assert tempos[0] == mido.bpm2tempo(p.plan.tempo)
    assert tempos == sorted(tempos) and len(tempos) == len(p.plan.tempo_changes)
    key = next(m for m in meta if m.type == "key_signature")
    assert key.key == p.plan.key_signature
    meter = next(m for m in meta if m.type == "time_signature")
    assert (meter.numerator, meter.denominator) == p.plan.meter
    messages = [m for track in midi.tracks[1:] for m in track if not m.is_meta]
    programs = [m for m in messages if m.type == "program_change"]
    assert {(m.channel, m.program) for m in programs} == {(0, 0), (1, 0)}
    ons = [m for m in messages if m.type == "note_on" and m.velocity > 0]
    assert len(ons) == len(p.notes)
    assert sum(m.channel == 0 for m in ons) == len(melody(p))
    pedal = [m for m in messages if m.type == "control_change" and m.control == 64]
    assert sum(m.value == 127 for m in pedal) == 2 * len(p.chords)
    assert abs(midi_seconds(data) - (p.seconds + RING_SECONDS)) < 0.05


def test_a_long_or_foreign_moment_still_makes_a_midi_file() -> None:
    """What it was for may be a long sentence, in any script, with emoji."""
    from os1.tools.music.compose import Moment, compose
    from os1.tools.music.midi import to_midi

    moment = Moment(description="the night we walked along the beach and talked about "
                                "everything and nothing until the sun came up again 🌅 שלום",
                    valence=0.5, arousal=0.3, seconds=30, seed=3)
    data = to_midi(compose(moment))
    assert data.startswith(b"MThd")
