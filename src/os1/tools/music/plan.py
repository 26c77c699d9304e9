"""The plan of a piece: what the mood chooses before a note is written.

Mode (major when light, minor or dorian when heavy), key, tempo (from arousal, fitted so the
piece lasts exactly as long as asked), register, the left hand's pattern and the meter (a broken
waltz in 3/4 for tender moods), the form (four-bar phrases grouped A A' B A'', more or fewer to
fill the time), each phrase's progression and cadence (half or authentic, the last a perfect
authentic cadence, V7 → I) and the title. ``sketch`` makes these choices from the first draws of
``random.Random(seed)``; the notes (``compose``) carry on with the same stream.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field, replace

MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 30.0, 90.0, 60.0
PHRASE_BARS = 4
MELODY_LIMITS = (55, 90)  # G3..F#6: what a right hand sings in, whatever the mood

PITCH_CLASS = {"C": 0, "C#": 1, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "G": 7,
               "Ab": 8, "A": 9, "Bb": 10, "B": 11}
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10),
          "dorian": (0, 2, 3, 5, 7, 9, 10)}
# What counts as in the key: minor includes its raised leading tone (harmonic minor's V).
IN_KEY = {"major": frozenset(SCALES["major"]), "minor": frozenset(SCALES["minor"]) | {11},
          "dorian": frozenset(SCALES["dorian"])}
TONICS = {"major": ("C", "D", "Eb", "F", "G", "A", "Bb"),
          "minor": ("A", "D", "E", "C", "G", "B", "F#"),
          "dorian": ("D", "A", "E", "G", "C")}
# A dorian piece is written with the signature of the major key a whole tone below it.
DORIAN_SIGNATURE = {"D": "C", "A": "G", "E": "D", "G": "F", "C": "Bb"}

_MAJ, _MIN, _DIM = (0, 4, 7), (0, 3, 7), (0, 3, 6)
_DOM7, _MIN7, _HDIM7 = (0, 4, 7, 10), (0, 3, 7, 10), (0, 3, 6, 10)
# symbol: (scale degree of the root, semitones of the root above the tonic, intervals)
CHORDS: dict[str, tuple[int, int, tuple[int, ...]]] = {
    "I": (0, 0, _MAJ), "i": (0, 0, _MIN), "ii": (1, 2, _MIN), "ii7": (1, 2, _MIN7),
    "ii°": (1, 2, _DIM), "iiø7": (1, 2, _HDIM7), "iii": (2, 4, _MIN), "III": (2, 3, _MAJ),
    "IV": (3, 5, _MAJ), "iv": (3, 5, _MIN), "v": (4, 7, _MIN), "V": (4, 7, _MAJ),
    "V7": (4, 7, _DOM7), "vi": (5, 9, _MIN), "VI": (5, 8, _MAJ), "bVI": (5, 8, _MAJ),
    "VII": (6, 10, _MAJ), "V/V": (1, 2, _MAJ), "V/vi": (2, 4, _MAJ),
}
PROGRESSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "major": {"I-vi-IV-V": ("I", "vi", "IV", "V"), "I-IV-vi-V": ("I", "IV", "vi", "V"),
              "vi-IV-I-V": ("vi", "IV", "I", "V"), "ii-V-I": ("ii7", "V", "I", "I")},
    "minor": {"i-VI-III-VII": ("i", "VI", "III", "VII"), "i-iv-VII-III": ("i", "iv", "VII", "III"),
              "i-VI-iv-V": ("i", "VI", "iv", "V"), "ii°-V-i": ("iiø7", "V", "i", "i")},
    "dorian": {"i-IV-VII-i": ("i", "IV", "VII", "i"), "i-VII-IV-i": ("i", "VII", "IV", "i"),
               "i-ii-III-IV": ("i", "ii", "III", "IV"), "i-v-IV-i": ("i", "v", "IV", "i")},
}
PREDOMINANTS = {"ii", "ii7", "ii°", "iiø7", "IV", "iv", "vi", "VI", "bVI", "V/V"}

POSITIVE = {"joy", "love", "admiration", "amusement", "approval", "caring", "excitement",
            "gratitude", "optimism", "pride", "relief", "desire", "curiosity"}
NEGATIVE = {"sadness", "grief", "remorse", "disappointment", "fear", "nervousness", "anger",
            "annoyance", "disgust", "embarrassment", "disapproval", "confusion"}
TENDER = {"love", "caring", "gratitude", "admiration", "desire", "relief"}
WISTFUL = {"sadness", "grief", "remorse", "disappointment", "nervousness", "nostalgia"}
WARM = {"love", "caring", "gratitude", "relief", "joy", "admiration", "optimism"}

RITARDANDO = ((2.0, 0.95), (1.5, 0.88), (1.0, 0.75))  # (bars before the end, tempo factor)


@dataclass(frozen=True)
class Moment:
    """What a piece is for, and the feeling it should carry."""

    description: str = ""  # "the night we walked on the beach"
    valence: float = 0.0  # -1 (heavy) .. 1 (light)
    arousal: float = 0.4  # 0 (still) .. 1 (stirred)
    labels: list[str] = field(default_factory=list)  # "joy", "sadness", "love" …
    seconds: float = DEFAULT_SECONDS  # 30..90; clamped, and the plan says so
    seed: int = 0


@dataclass(frozen=True)
class Chord:
    symbol: str  # roman numeral: "V7", "iv", "V/vi"
    root: int  # semitones above the tonic
    intervals: tuple[int, ...]
    start: float  # beats
    beats: float
    phrase: int


@dataclass(frozen=True)
class Plan:
    title: str
    tonic: str  # "D"
    mode: str  # major | minor | dorian
    key_signature: str  # as MIDI/mido spell it: "D", "Bm"
    tempo: float  # beats per minute before the ritardando
    tempo_changes: list[tuple[float, float]]  # (beat, bpm), the first at beat 0
    meter: tuple[int, int]  # (3, 4) or (4, 4)
    form: list[str]  # ["A", "A'", "B", "A''"]
    progressions: list[str]  # the library progression each phrase is built on
    cadences: list[str]  # half | authentic | perfect, per phrase
    accompaniment: str  # block chords | arpeggio | Alberti bass | broken waltz
    melody_range: tuple[int, int]
    climax_phrase: int
    bittersweet: bool
    motif: dict[str, list[float]]  # {"rhythm": […], "steps": […]}
    seed: int
    remarks: list[str]  # said to the person: "I kept it to 90 seconds …"


@dataclass(frozen=True)
class Sketch:
    """Everything chosen before the melody: the plan but for its motif, and the chords.

    ``rng`` is the piece's random stream after these choices; the notes draw on from it."""

    moment: Moment  # normalised
    remarks: list[str]
    rng: random.Random
    mode: str
    tonic: str
    tonic_pc: int
    scale: tuple[int, ...]
    bittersweet: bool
    beats: int  # per bar: 3 or 4
    accompaniment: str
    density: str  # calm | flowing | lively: how busy the melody's rhythms are
    tempo: float
    form: list[str]
    cadences: list[str]
    climax: int
    melody_range: tuple[int, int]
    title: str
    total: int  # beats in the piece
    chords: list[Chord]
    progressions: list[str]

    def plan(self, motif: dict[str, list[float]]) -> Plan:
        """The finished plan, once the melody has chosen its motif."""
        changes = [(0.0, self.tempo)] + [(self.total - bars * self.beats, round(self.tempo * factor, 2))
                                         for bars, factor in RITARDANDO]
        signature = (DORIAN_SIGNATURE[self.tonic] if self.mode == "dorian"
                     else self.tonic + ("m" if self.mode == "minor" else ""))
        return Plan(title=self.title, tonic=self.tonic, mode=self.mode, key_signature=signature,
                    tempo=self.tempo, tempo_changes=changes, meter=(self.beats, 4), form=self.form,
                    progressions=self.progressions, cadences=self.cadences,
                    accompaniment=self.accompaniment, melody_range=self.melody_range,
                    climax_phrase=self.climax, bittersweet=self.bittersweet, motif=motif,
                    seed=self.moment.seed, remarks=self.remarks)


def sketch(moment: Moment) -> Sketch:
    """The choices for this moment, drawn first from ``random.Random(seed)``."""
    m, remarks = normalise(moment)
    rng = random.Random(m.seed)
    mode = choose_mode(m)
    tonic = rng.choice(TONICS[mode])
    bittersweet = is_bittersweet(m) and mode != "dorian"
    tender = bool(set(m.labels) & TENDER) and m.arousal < 0.6
    beats = 3 if tender else 4
    accompaniment = ("broken waltz" if tender else "block chords" if m.arousal < 0.3
                     else "arpeggio" if m.arousal < 0.55 else "Alberti bass")
    density = "calm" if m.arousal < 0.3 else "flowing" if m.arousal < 0.65 else "lively"
    phrases, tempo = _fit_tempo(nominal_tempo(m), beats, m.seconds)
    form = form_for(phrases)
    cadences = [cadence_for(i, form) for i in range(phrases)]
    lifts = [i for i, label in enumerate(form) if label[0] != "A"] or [phrases - 1]
    climax = min(lifts, key=lambda i: (abs((i + 0.6) / phrases - 0.65), i))
    low = 58 + round(6 * m.arousal)
    melody_range = (max(MELODY_LIMITS[0], low), min(MELODY_LIMITS[1], low + 20 + round(4 * m.arousal)))
    kind = ("Nocturne" if re.search(r"\b(night|moon|stars?|evening|dark)\b", m.description, re.I)
            else "Waltz" if tender else "Ballad" if mode == "dorian"
            else ("Elegy" if m.arousal < 0.5 else "Prelude") if mode == "minor"
            else "Song" if m.arousal >= 0.6 else "Reverie")
    chords, progressions = harmonise(rng, mode, form, cadences, bittersweet, beats)
    return Sketch(moment=m, remarks=remarks, rng=rng, mode=mode, tonic=tonic,
                  tonic_pc=PITCH_CLASS[tonic], scale=SCALES[mode], bittersweet=bittersweet,
                  beats=beats, accompaniment=accompaniment, density=density, tempo=tempo,
                  form=form, cadences=cadences, climax=climax, melody_range=melody_range,
                  title=title_for(m.description, kind, tonic, mode),
                  total=len(form) * PHRASE_BARS * beats, chords=chords, progressions=progressions)


def _finite(value: float, default: float) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else default


def normalise(moment: Moment) -> tuple[Moment, list[str]]:
    """The moment with everything in range, and what was changed, in words for the person."""
    remarks = []
    seconds = _finite(moment.seconds, DEFAULT_SECONDS)
    if seconds < MIN_SECONDS or seconds > MAX_SECONDS:
        clamped = min(MAX_SECONDS, max(MIN_SECONDS, seconds))
        remarks.append(f"You asked for {seconds:g} seconds; I made it {clamped:g}: my pieces are "
                       f"{MIN_SECONDS:g} to {MAX_SECONDS:g} seconds long.")
        seconds = clamped
    labels = [str(label).strip().lower() for label in moment.labels if str(label).strip()]
    return replace(moment, description=" ".join(str(moment.description).split()),
                   valence=max(-1.0, min(1.0, _finite(moment.valence, 0.0))),
                   arousal=max(0.0, min(1.0, _finite(moment.arousal, 0.4))),
                   labels=labels, seconds=seconds), remarks


def choose_mode(moment: Moment) -> str:
    """Major when the feeling leans light; minor when heavy, dorian when heavy but stirred."""
    labels = set(moment.labels)
    lean = moment.valence + 0.15 * (len(labels & POSITIVE) - len(labels & NEGATIVE))
    if lean >= -0.05:
        return "major"
    return "dorian" if moment.arousal >= 0.55 and moment.valence > -0.5 else "minor"


def nominal_tempo(moment: Moment) -> float:
    """56 bpm when still, about 132 when stirred; a little slower when heavy."""
    return max(52.0, min(136.0, 56 + 76 * moment.arousal + 6 * moment.valence))


def is_bittersweet(moment: Moment) -> bool:
    labels = set(moment.labels)
    return bool("bittersweet" in labels or "nostalgia" in labels
                or (moment.valence >= 0 and labels & WISTFUL)
                or (moment.valence < 0 and labels & WARM))


def form_for(phrases: int) -> list[str]:
    """A A' for a period, A B A' for three, then A A' B … A'' with returns for longer pieces."""
    cycle = ["B", "B", "A", "C", "C", "A"]
    letters = (["A", "A"][:max(phrases, 1)] if phrases <= 2 else ["A", "B", "A"] if phrases == 3
               else ["A", "A"] + [cycle[i % len(cycle)] for i in range(phrases - 3)] + ["A"])
    seen: dict[str, int] = {}
    form = []
    for letter in letters:
        count = seen.get(letter, 0)
        form.append(letter + ("'" * count if count <= 3 else str(count + 1)))
        seen[letter] = count + 1
    return form


def cadence_for(index: int, form: list[str]) -> str:
    """Phrases pair up as question (half cadence) and answer (authentic); a contrasting
    phrase that leads back to A stays open; the last closes with a perfect authentic cadence."""
    if index == len(form) - 1:
        return "perfect"
    leads_back = form[index][0] != "A" and form[index + 1][0] == "A"
    return "authentic" if index % 2 == 1 and not leads_back else "half"


def _fit_tempo(nominal: float, beats_per_bar: int, seconds: float) -> tuple[int, float]:
    """The phrase count and tempo nearest the mood's tempo that make exactly ``seconds``."""
    edges = [bars for bars, _ in RITARDANDO] + [0.0]
    slowed = sum((edges[i] - edges[i + 1]) / factor for i, (_, factor) in enumerate(RITARDANDO))
    fits = []
    for phrases in range(2, 15):  # beats at the base tempo, the ritardando's bars stretched
        beats = (phrases * PHRASE_BARS - edges[0] + slowed) * beats_per_bar
        bpm = 60.0 * beats / seconds
        fits.append((abs(math.log(bpm / nominal)) + (0.05 if phrases == 2 else 0.0), phrases, bpm))
    _cost, phrases, bpm = min(fits)
    return phrases, round(bpm, 1)


def title_for(description: str, kind: str, tonic: str, mode: str) -> str:
    text = description.strip().strip("\"'“”").rstrip(".!?,;: ")
    text = re.sub(r"^(for|about)\s+", "", text, flags=re.IGNORECASE)
    if not text:
        return f"{kind} in {tonic} {mode}"
    if len(text) > 100:
        text = text[:100].rsplit(" ", 1)[0] + "…"
    return f"{kind} for {text}"


# -- the chords ------------------------------------------------------------------------------------
def harmonise(rng: random.Random, mode: str, form: list[str], cadences: list[str], bittersweet: bool,
              beats: int) -> tuple[list[Chord], list[str]]:
    """Each phrase's chords, from a library progression per section letter, bent to its cadence
    (and, when bittersweet, coloured by borrowed and secondary chords); and the progressions' names."""
    tonic_chord = "I" if mode == "major" else "i"
    predominant = "iv" if mode == "minor" else "IV"
    library = PROGRESSIONS[mode]
    opening = [name for name, chords in library.items() if chords[0] == tonic_chord]
    names = {"A": rng.choice(opening)}
    rest = [name for name in library if name != names["A"]]
    rng.shuffle(rest)
    names["B"], names["C"] = rest[0], rest[1 % len(rest)]
    B = beats
    out: list[Chord] = []
    progressions: list[str] = []
    for index, (label, cadence) in enumerate(zip(form, cadences, strict=True)):
        section = label[0]
        name = names[section]
        base = list(library[name])
        progressions.append(name)
        bars: list[list[tuple[str, float]]] = [[(c, float(B))] for c in base]
        if cadence == "half":
            if base[2] in ("V", "V7"):
                bars[2] = [(predominant, B)]
            bars[3] = [("V", B)]
            if bittersweet and mode == "major" and section != "A":
                bars[2] = [(bars[2][0][0], B - 2), ("V/V", 2)]  # a secondary dominant
        else:
            pre = base[2] if base[2] in PREDOMINANTS and base[2] != base[1] else predominant
            if pre == base[1]:
                pre = "iiø7" if mode == "minor" else "ii"
            if bittersweet and mode == "major":
                pre = "iv" if section == "A" else "V/V"
            bars[2] = [(pre, B - 2), ("V7", 2)]
            tonic = "I" if cadence == "perfect" and bittersweet else tonic_chord
            bars[3] = [(tonic, B)]
        if bittersweet and section != "A":
            if mode == "major" and bars[1][0][0] == "vi":
                bars[0] = [(bars[0][0][0], B - 2 if B == 4 else 2), ("V/vi", 2 if B == 4 else 1)]
            if mode == "minor":
                bars = [[("IV" if c == "iv" else c, n) for c, n in bar] for bar in bars]
        start = float(index * PHRASE_BARS * B)
        for bar in bars:
            for symbol, length in bar:
                _deg, root, intervals = CHORDS[symbol]
                out.append(Chord(symbol, root, intervals, start, float(length), index))
                start += length
    return out, progressions
