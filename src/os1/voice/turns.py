"""Whose turn is it? Deciding when the person has finished, and what a backchannel is.

People pause mid-thought ("I was thinking… maybe we could…") and people finish with a short
pause. Silence alone either cuts them off or makes os1 slow, so the decision combines the
silence so far with whether the words so far sound finished: a complete sentence ends the
turn after a short pause, a dangling "and" or "um" waits longer, and nothing waits forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words a finished thought rarely ends on: conjunctions, fillers, articles, prepositions,
# and the start of a clause.
_DANGLING = _set("""
and but or so because cause cuz since although though if unless until while when whereas
then than that which who whom whose where what why how whether um uh er erm hmm like
the a an my your his her our their its this these those some any every no
to of in on at for with from by about into onto over under after before between through
i i'm i've i'd i'll we you he she they it's is are was were be been being am
can could would should will shall might must may do does did have has had
just really very also maybe kind sort not don't didn't can't won't isn't wasn't
""")
_FILLER_ONLY = _set("um uh er erm hmm mm hm ah oh well so like")

# What a listener says to show they're following, not to take the turn.
_BACKCHANNELS = _set("""
mm mmm mhm mm-hm mm-hmm mmhm mmhmm hm hmm uh-huh uhhuh uh huh yeah yep yup yes ya right
okay ok sure i see oh ah aha wow nice true exactly totally really cool got it gotcha
""")
_WORD = re.compile(r"[a-z']+(?:-[a-z']+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def sounds_finished(text: str) -> bool:
    """Does this transcript sound like a complete turn?"""
    stripped = text.strip()
    if not stripped:
        return False
    said = words(stripped)
    if not said or all(w in _FILLER_ONLY for w in said):
        return False
    if stripped.endswith((",", "...", "…", "-", "—", ";", ":")):
        return False
    return said[-1] not in _DANGLING


def is_backchannel(text: str) -> bool:
    """'Mm-hm', 'yeah', 'okay, right': acknowledgement while someone else talks."""
    said = words(text)
    if not said or len(said) > 3:
        return False
    return all(w in _BACKCHANNELS for w in said)


@dataclass(frozen=True)
class TurnPolicy:
    """The timing of turn-taking, in seconds. Defaults suit conversation on a laptop."""

    # Silence before os1 starts transcribing what it heard, in case the turn is over (early:
    # nothing else needs the CPU while the person talks, and if they go on it is dropped).
    check_after: float = 0.1
    # Silence that ends a turn whose words sound finished / unfinished, and the cap.
    finished_pause: float = 0.35
    unfinished_pause: float = 1.3
    longest_pause: float = 2.5
    # Speech needed before it counts as the person starting to talk (not a click).
    onset: float = 0.096
    # Audio kept from just before the onset, so the first syllable isn't clipped.
    preroll: float = 0.3
    # While os1 talks: how long to hold (paused) for a backchannel to end before taking
    # the person's speech as a real interruption.
    backchannel_window: float = 0.9
    # A long turn is transcribed in pieces as it goes: after this much speech, at the next
    # short pause, or at the hard limit without one (Whisper reads 30 s at a time).
    commit_after: float = 12.0
    commit_by: float = 25.0
    # Nobody talks this long without a pause for breath; past it, the turn ends anyway.
    longest_turn: float = 600.0
    # Partial transcripts while the person speaks, at most this often.
    partial_every: float = 1.0

    def pause_needed(self, transcript: str) -> float:
        return self.finished_pause if sounds_finished(transcript) else self.unfinished_pause
