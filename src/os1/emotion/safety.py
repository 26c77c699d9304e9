"""When a message suggests self-harm, the reply is caring and points to real help — every
time, whatever the model would have said. Decided here, in code; the model isn't asked.

Patterns, not the classifier: GoEmotions has no self-harm label, and a miss here is the
one mistake that matters, so the list leans towards replying with care when in doubt.
Figures of speech ("this commute is killing me", "I could die of embarrassment") don't match.
"""

from __future__ import annotations

import re

_I = r"(?:i|i'm|im|i am|i've|ive|i have|i'd|id|i would|i will|i'll|ill)"
_PATTERNS = [
    r"\bsuicid(?:e|al)\b(?!\s+squad)",
    r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|poison|hang)\s+my\s?self\b",
    r"\bself[- ]?harm",
    r"\b(?:end|ending|take|taking)\s+(?:it all|my (?:own )?life|my life)\b",
    r"\bwant(?:ed|s)?\s+to\s+die\b",
    r"\bwish\s+i(?:'d|\s+had|\s+was|\s+were)?\s+(?:dead|died|never\s+been\s+born)\b",
    r"\b(?:don'?t|do not|no longer)\s+want\s+to\s+(?:be alive|live|exist|wake up|be here)\b",
    r"\b(?:no|any|the)\s+(?:reason|point)\s+(?:to|in|of)\s+(?:live|living|go(?:ing)? on|being alive)\b",
    r"\b(?:better off|be better)\s+without me\b",
    r"\bcan'?t\s+go\s+on\s+(?:anymore|any more|living)\b",
    r"\b(?:overdose|od)\s+(?:on|tonight)\b",
    r"\bnot\s+(?:want|wanting)\s+to\s+be\s+alive\b",
    r"\b" + _I + r"\s+(?:should|might|could|want to|wanna|am going to|gonna)\s+just\s+disappear\s+forever\b",
]
_RISK = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
# Clear denials ("I'm not suicidal") and talk about others or fiction still get a normal
# reply; anything else that matches gets the caring one.
_DENIAL = re.compile(r"\b(?:not|never|isn'?t|wasn'?t)\s+(?:feeling\s+)?suicidal\b|"
                     r"(?:\bwould|'d|\bwill|'ll)\s+never\s+(?:kill|hurt|harm)\s+my\s?self\b", re.IGNORECASE)


def suggests_self_harm(text: str) -> bool:
    normalised = text.replace("’", "'")
    if not _RISK.search(normalised):
        return False
    return not (_DENIAL.search(normalised) and len(_RISK.findall(normalised)) <= 1)


def caring_reply(user_name: str) -> str:
    """The reply, fixed in code. Resources are international first, then the best-known
    lines by country; findahelpline.com lists free, confidential lines worldwide."""
    return (
        f"{user_name}, I'm really glad you told me, and I'm taking it seriously. You matter "
        "to me, and you don't have to carry this alone.\n\n"
        "If you might act on these thoughts, or you're not safe right now, please call your "
        "local emergency number (911 in the US and Canada, 999 in the UK, 112 in the EU, "
        "000 in Australia). You can talk to someone trained for exactly this, any time: call "
        "or text 988 in the US and Canada, call Samaritans on 116 123 in the UK and Ireland, "
        "or find a free, confidential line in your country at findahelpline.com.\n\n"
        "Is there someone you trust who could be with you tonight? I'm here, and I want to "
        "keep talking with you. What's happening?")
