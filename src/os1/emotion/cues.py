"""What the words say happened, where the classifier only hears the tone.

GoEmotions is Reddit comments: it reads "I'm fine. The funeral was on Saturday." as approval.
OS1 hears the sadness under "I'm fine", so a short list of life events (a loss, a breakup, a
rejection, being left alone, illness, panic) raises the feeling that goes with them, and
"I'm fine" next to one of them is noted as putting a brave face on it. Hand-written, small,
and only ever adds a feeling the words plainly carry; the classifier does the rest.
"""

from __future__ import annotations

import re
from dataclasses import replace

from os1.emotion.classifier import EmotionRead, circumplex
from os1.emotion.labels import EKMAN_OF

_KIN = (r"(?:mom|mum|dad|mother|father|wife|husband|partner|son|daughter|brother|sister|"
        r"grandma|grandpa|grandmother|grandfather|friend|best friend|dog|cat|baby)")
CUES: list[tuple[str, float, re.Pattern[str]]] = [
    ("grief", 0.6, re.compile(r"\b(?:funeral|passed away|died|death of|miscarriage|"
                              r"lost (?:my|our) " + _KIN + r")\b", re.I)),
    ("sadness", 0.55, re.compile(r"\b(?:divorce|signed the (?:divorce )?papers|broke up|"
                                 r"break-?up|(?:she|he|they) left me|separated)\b", re.I)),
    ("disappointment", 0.55, re.compile(
        r"\b(?:didn'?t get (?:the|that) (?:job|place|part|role)|got fired|(?:was|got) laid off|"
        r"lost my job|(?:got|was) rejected|failed (?:the|my) (?:exam|test|interview))\b", re.I)),
    ("sadness", 0.55, re.compile(r"\b(?:nobody|no one|no-one) (?:came|showed up|called|cares|"
                                 r"remembered)\b|\b(?:so|really|all) (?:alone|lonely)\b", re.I)),
    ("fear", 0.5, re.compile(r"\b(?:diagnosed|cancer|tumou?r|biopsy|chemo)\b", re.I)),
    ("nervousness", 0.55, re.compile(r"\b(?:hands are shaking|can'?t breathe|panic attack|"
                                     r"freaking out|can'?t stop shaking)\b", re.I)),
]
_BRAVE_FACE = re.compile(r"\b(?:i'?m|i am|im) (?:fine|ok|okay|alright|good)\b", re.I)


def apply(text: str, read: EmotionRead) -> EmotionRead:
    """The read with the feelings the words' events carry; unchanged when none match."""
    normalised = text.replace("’", "'")
    hits = [(label, score) for label, score, pattern in CUES if pattern.search(normalised)]
    if not hits:
        return read
    scores = dict(read.scores)
    for label, score in hits:
        scores[label] = max(scores[label], score)
    brave_face = bool(_BRAVE_FACE.search(normalised))
    if brave_face:  # "I'm fine" isn't approval or calm here
        for label in ("approval", "neutral", "relief"):
            scores[label] = min(scores[label], 0.1)
    cued = [label for label, _ in hits]
    rest = [label for label in read.labels if label not in cued and label != "neutral"
            and not (brave_face and label in ("approval", "relief"))]
    labels = list(dict.fromkeys(cued + rest))
    ekman = dict(read.ekman)
    for label in cued:
        group = EKMAN_OF[label]
        ekman[group] = max(ekman[group], scores[label])
    if brave_face:
        ekman["neutral"] = min(ekman["neutral"], 0.1)
    valence, arousal = circumplex(scores)
    return replace(read, scores=scores, labels=labels, ekman=ekman, valence=valence,
                   arousal=arousal, cues=[*cued, *(["brave face"] if brave_face else [])])



