"""Writing and revising personal letters with the model.

A letter is written in the *sender's* voice (Theodore writes for other people), from what
the person said (who, to whom, the occasion, the facts: "they met in a bus queue in 1974"),
what the companion remembers about those people, and earlier letters between the same two
people, so that the hundredth letter from Chris to Loretta sounds like the others.

Small models wander, so the code keeps the frame: the greeting and signature are checked
and mended after the model writes, a revision that comes back empty or runaway keeps the
old text, and the facts the person gave are the only ones asked for.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from os1.llm.base import ChatBackend, ChatMessage, complete, complete_structured

log = logging.getLogger(__name__)

LETTER_TOKENS = 700


@dataclass(frozen=True)
class LetterRequest:
    sender: str
    recipient: str
    occasion: str = ""
    notes: str = ""  # the facts and wishes, in the person's words
    memories: list[str] = field(default_factory=list)  # what the companion knows of them
    earlier: list[str] = field(default_factory=list)  # earlier letters between the two


class LetterPlan(BaseModel):
    sender: str = Field(description="who the letter is from (a first name), or empty")
    recipient: str = Field(description="who the letter is to (a first name), or empty")
    occasion: str = Field(description="what it is for, e.g. '50th anniversary', or empty")
    facts: str = Field(description="facts and wishes to include, in the person's words")


# "from Chris to Loretta", "to my sister Ann", "for their 50th anniversary"
_NAME = r"([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)"


def plan_from_words(text: str, *, user_name: str) -> LetterPlan:
    """The deterministic reading of a letter request (used when the model can't, and to
    check what it extracted): names must be capitalised words the person wrote."""
    sender = _match(rf"\bfrom\s+(?:me|{_NAME})", text)
    recipient = _match(rf"\bto\s+(?:my\s+\w+\s+|his\s+\w+\s+|her\s+\w+\s+)?{_NAME}", text)
    if re.search(r"\bfrom me\b", text, re.I) or not sender:
        sender = sender or user_name
    occasion = ""
    found = re.search(r"\bfor\s+(?:their|her|his|my|our|the)\s+([^;,.]+?)(?:[;,.]|\s+(?:they|she|"
                      r"he|we|mention|and say|saying)\b|$)", text, re.I)
    if found:
        occasion = found.group(1).strip()
    facts = ""
    split = re.split(r"[;:]|\bthey\b|\bshe\b|\bhe\b", text, maxsplit=1, flags=re.I)
    if len(split) == 2:
        facts = text[len(split[0]):].strip(" ;:")
    return LetterPlan(sender=sender or "", recipient=recipient or "", occasion=occasion,
                      facts=facts)


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if not found or not found.lastindex:
        return ""
    name = found.group(found.lastindex) or ""
    return "" if name.lower() in {"me", "my", "the", "a", "an", "them", "him", "her"} else name


async def plan_letter(backend: ChatBackend, text: str, *, user_name: str) -> LetterPlan:
    """Who, to whom, the occasion and the facts: the model extracts (JSON schema), the code
    keeps only names the person actually wrote."""
    fallback = plan_from_words(text, user_name=user_name)
    try:
        plan = await complete_structured(
            backend, [ChatMessage("system", "Read a request to write a personal letter. Fill "
                                            "the JSON from the words only; leave a field empty "
                                            "when it isn't said."),
                      ChatMessage("user", text)],
            LetterPlan, max_tokens=200, temperature=0.0, aside=True)
    except Exception:
        return fallback
    if plan is None:
        return fallback
    low = text.lower()

    def said(name: str) -> bool:
        return bool(name) and name.lower() in low

    return LetterPlan(
        sender=plan.sender if said(plan.sender) else fallback.sender,
        recipient=plan.recipient if said(plan.recipient) else fallback.recipient,
        occasion=plan.occasion if plan.occasion and all(
            w in low for w in re.findall(r"\w+", plan.occasion.lower())[:3]) else fallback.occasion,
        facts=plan.facts.strip() or fallback.facts)


def _brief(request: LetterRequest) -> str:
    lines = [f"From: {request.sender}", f"To: {request.recipient}"]
    if request.occasion:
        lines.append(f"Occasion: {request.occasion}")
    if request.notes:
        lines.append(f"What to include: {request.notes}")
    if request.memories:
        lines.append("What is known about them:\n" + "\n".join(f"- {m}" for m in
                                                                request.memories[:8]))
    return "\n".join(lines)


async def write_letter(backend: ChatBackend, request: LetterRequest) -> str:
    """A first draft, in the sender's own voice."""
    system = (f"You write heartfelt personal letters. Write as {request.sender}, to "
              f"{request.recipient}, in the first person. Warm, specific, plain words; no "
              "clichés, no lists, no subject line. Use only the facts given. Start with "
              f"“Dear {request.recipient},” and end with a short sign-off and “{request.sender}”.")
    user = _brief(request)
    if request.earlier:
        sample = request.earlier[0][:1200]
        user += ("\n\nAn earlier letter between them, for the voice (don't repeat it):\n"
                 f"{sample}")
    body = await complete(backend, [ChatMessage("system", system), ChatMessage("user", user)],
                          max_tokens=LETTER_TOKENS, temperature=0.7, aside=True)
    return frame(body, request)


REVISIONS = {
    "warmer": "Make it warmer and more tender, keeping every fact.",
    "colder": "Make it more reserved.",
    "shorter": "Make it about half as long, keeping the heart of it.",
    "longer": "Make it a little longer, with one more specific memory or feeling from the facts.",
    "funnier": "Add a gentle touch of humour.",
    "formal": "Make it more formal.",
    "simpler": "Use simpler words and shorter sentences.",
}


def revision_instruction(words: str) -> str:
    """What the person asked ("warmer", "mention the dog") as an instruction for the model."""
    low = words.lower()
    for key, instruction in REVISIONS.items():
        if re.search(rf"\b{key}\b", low):
            return instruction
    return f"Revise it as asked: {words.strip()}"


async def revise_letter(backend: ChatBackend, body: str, words: str,
                        request: LetterRequest) -> str:
    """The letter changed as the person asked; the old text when the model fails."""
    system = (f"You revise a personal letter from {request.sender} to {request.recipient}. "
              f"{revision_instruction(words)} Return the whole revised letter and nothing else.")
    for temperature in (0.5, 0.9):  # a small model sometimes hands the letter back unchanged
        revised = await complete(backend, [ChatMessage("system", system),
                                           ChatMessage("user", body)],
                                 max_tokens=LETTER_TOKENS, temperature=temperature, aside=True)
        revised = frame(revised, request)
        if 40 <= len(revised) <= 4 * len(body) + 2000 and revised != body:
            return revised
        log.info("revision %r came back %s", words, "unchanged" if revised == body else
                 f"{len(revised)} characters long")
    return body


def frame(text: str, request: LetterRequest) -> str:
    """Mend what a small model gets wrong: chatter before the greeting ("Sure! Here's…"),
    a missing greeting or signature, markdown."""
    text = text.replace("**", "").replace("##", "").strip()
    lines = text.splitlines()
    greeting = re.compile(r"^\s*(dear|dearest|my dear|hi|hello|to my)\b", re.I)
    for i, line in enumerate(lines[:4]):
        if greeting.match(line):
            lines = lines[i:]
            break
    else:
        if lines and re.match(r"^(sure|here|certainly|of course)\b", lines[0], re.I):
            lines = lines[1:]
        lines = [f"Dear {request.recipient},", ""] + lines
    text = _without_loops("\n".join(lines)).strip()
    tail = "\n".join(text.splitlines()[-3:]).lower()
    if request.sender.lower() not in tail:
        text += f"\n\nWith love,\n{request.sender}"
    return re.sub(r"\n{3,}", "\n\n", text)


def _without_loops(text: str) -> str:
    """A small model can fall into a loop, writing the same paragraph until the token limit:
    keep the first of each repeated line, and end on a whole sentence if the limit cut one."""
    seen: set[str] = set()
    kept: list[str] = []
    for line in text.splitlines():
        key = " ".join(line.lower().split())
        if len(key) > 30 and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    # A sign-off ("All my love", "Chris") is short; a sentence cut by the limit isn't.
    if kept and len(kept[-1].split()) >= 5 and kept[-1].rstrip()[-1:] not in ".!?\"'”’,":
        cut = max(kept[-1].rfind(mark) for mark in ".!?")
        kept[-1] = kept[-1][:cut + 1] if cut > 0 else ""
    return "\n".join(kept)

