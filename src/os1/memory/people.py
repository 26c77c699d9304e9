"""The people in someone's life, noticed without the model.

"my daughter Fiona", "Anjali, my cousin", "our dog Rua": said in passing, and the key to
questions asked much later ("when is my daughter's baby due?" needs "Fiona"). They are
noticed with a few patterns the moment a message is stored, become ``person`` memories like
the ones the model learns, and let recall follow "my daughter" to the name.
"""

from __future__ import annotations

import re

RELATIONS = (
    "mother-in-law", "father-in-law", "sister-in-law", "brother-in-law", "daughter-in-law",
    "son-in-law", "ex-wife", "ex-husband", "ex-girlfriend", "ex-boyfriend", "ex-partner",
    "best friend", "oldest friend", "sister", "brother", "daughter", "son", "wife", "husband",
    "partner", "girlfriend", "boyfriend", "fiancé", "fiancée", "fiance", "fiancee", "mum", "mom",
    "mother", "dad", "father", "grandma", "grandmother", "gran", "grandpa", "grandfather",
    "granddaughter", "grandson", "aunt", "auntie", "uncle", "cousin", "niece", "nephew",
    "friend", "boss", "manager", "colleague", "coworker", "co-worker", "flatmate", "roommate",
    "housemate", "neighbour", "neighbor", "landlord", "landlady", "therapist", "doctor",
    "teacher", "coach", "stepson", "stepdaughter", "stepmum", "stepmom", "stepdad", "twin",
    "dog", "cat", "puppy", "kitten", "horse", "mentor", "supervisor", "carer", "nurse",
)
_REL = "|".join(re.escape(r) for r in sorted(RELATIONS, key=len, reverse=True))
_ADJ = r"(?:(?:little|big|older|younger|eldest|oldest|youngest|new|old|late|dear|lovely|" \
       r"twin|baby|climbing|running|work|gym|school|uni|university|childhood)\s+)*"
_NAME = r"([A-Z][a-zà-ÿ'’-]+(?:\s[A-Z][a-zà-ÿ'’-]+)?)"
_MY_REL_NAME = re.compile(rf"\b(?:[Mm]y|[Oo]ur)\s+{_ADJ}({_REL})\b,?\s+{_NAME}")
_NAME_MY_REL = re.compile(rf"\b{_NAME},\s+(?:my|our)\s+{_ADJ}({_REL})\b")
_QUERY_REL = re.compile(rf"\b(?:my|our)\s+{_ADJ}({_REL})(?:'s|s')?\b", re.I)
_NOT_NAMES = frozenset(str.split("""
I I'm I've I'd I'll The A An And But So Then Just He She They We It This That There Here
What When Where Who Why How Is Was Has Had Can Will Would Should Could Mum Mom Dad Monday
Tuesday Wednesday Thursday Friday Saturday Sunday Today Tomorrow Yesterday Tonight Anyway
Also Honestly Okay Ok Oh Yes No Not Still Even Actually Really Last Next
"""))


def _clean(name: str) -> str | None:
    words = [w for w in name.split() if w not in _NOT_NAMES]
    if not words or words[0] != name.split()[0]:
        return None
    return " ".join(words).strip("'’-")


def notice_people(text: str) -> list[tuple[str, str]]:
    """(relation, name) pairs said in ``text``, e.g. [('daughter', 'Fiona')]."""
    found: dict[tuple[str, str], None] = {}
    for match in _MY_REL_NAME.finditer(text):
        name = _clean(match.group(2))
        if name:
            found.setdefault((match.group(1).lower(), name), None)
    for match in _NAME_MY_REL.finditer(text):
        name = _clean(match.group(1))
        if name:
            found.setdefault((match.group(2).lower(), name), None)
    return list(found)


def relations_in(query: str) -> list[str]:
    """The relations a question asks through: "my daughter's baby" -> ['daughter']."""
    return list(dict.fromkeys(m.group(1).lower() for m in _QUERY_REL.finditer(query)))
