"""What the person is asking the organizer for, read from their own words only.

Deterministic on purpose: which tools a turn may use is decided here, in code, from the
person's message — never from the model or from text it read. An action (send, reply,
archive, schedule, cancel …) can only be proposed in a turn whose own words ask for one;
"summarize my inbox" can never turn into a forwarded mail, whatever the inbox says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = r"(?:e-?mails?|mails?|messages?|inbox|correspondence|letters?)"
_EVENT = (r"(?:meeting|appointment|event|call|lunch|dinner|breakfast|coffee|drinks|party|"
          r"date|interview|session|class|standup|stand-up|catch-?up|dentist|doctor|flight)s?")
_TIMEWORD = (r"(?:today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|"
             r"sunday|weekend|week|morning|afternoon|evening|\d{1,2}(?::\d2)?\s*(?:am|pm)|"
             r"\d{1,2}:\d{2}|noon|midnight|next|this)")

YES = re.compile(r"^\s*(yes|yep|yeah|yup|sure|ok|okay|go ahead|do it|send it|please do|approve|"
                 r"approved|that's (right|fine|good|perfect)|looks good|perfect)\b[\s\w,.!']{0,30}$",
                 re.I)
NO = re.compile(r"^\s*(no|nope|don't|do not|cancel( it| that)?|decline|never ?mind|forget it|"
                r"not now)\b[\s\w,.!']{0,30}$", re.I)


@dataclass(frozen=True)
class Intent:
    """``kind``: what to do; ``act``: whether it changes anything (a proposal);
    ``query``: the words the request was about, when there are some."""

    kind: str
    act: bool = False
    query: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _after(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.I)
    return match.group(1).strip(" ?.!,'\"") if match else ""


def _quoted(text: str) -> str:
    """The text to work on, for "proofread: …" or a quoted passage."""
    if ":" in text:
        head, _, rest = text.partition(":")
        if len(rest.strip()) > 10:
            return rest.strip()
    match = re.search(r"[\"“](.{10,})[\"”]", text, re.S)
    return match.group(1).strip() if match else ""


def read_intent(text: str) -> Intent | None:
    """The organizer request in ``text``, or None for ordinary conversation."""
    t = " ".join(text.split())
    low = t.lower()
    if re.search(r"\b(proof-?read|spell-?check|check (the |my |this )?(spelling|grammar|"
                 r"writing)|correct (my|this) (spelling|grammar|writing|text|email|letter))", low):
        return Intent("proofread", query=_quoted(text))
    if re.search(r"\b(needs?|waiting (for|on)|owe)\b.*\b(repl(y|ies)|answers?|responses?)\b", low):
        return Intent("mail_overview", query=t)
    # -- actions (their own words ask for a change) --------------------------------------
    if re.search(r"\b(tidy|clean\s?-?up|clear out|declutter)\b", low) and \
            re.search(rf"\b({_WORD}|newsletters?)\b", low):
        return Intent("mail_cleanup", act=True)
    if re.search(r"\barchive\b.*\bnewsletters?\b", low):
        return Intent("mail_cleanup", act=True)
    if re.search(r"\b(reply|respond|write back|answer)\b", low) and not re.search(
            r"\b(need|needs|needing|waiting|should i|do i have to)\b", low):
        return Intent("mail_reply", act=True, query=t)
    if re.search(r"\bforward\b", low):
        return Intent("mail_forward", act=True, query=t)
    if re.search(r"\b(send|email|e-mail|write|drop)\b.*\b(to|an? (email|mail|note|line|message))\b",
                 low) and not re.search(r"\b(letter|poem|story|song)\b", low) and (
            not re.search(rf"\b{_EVENT}\b", low) or re.search(r"\b(email|mail)\b", low)):
        return Intent("mail_send", act=True, query=t)
    if re.search(r"\b(delete|trash|bin|remove|archive|move|file away)\b", low) and \
            re.search(rf"\b({_WORD}|newsletters?|receipts?|notifications?|spam)\b", low):
        return Intent("mail_tidy", act=True, query=t)
    if re.search(r"\b(cancel|call off|drop)\b", low) and re.search(rf"\b{_EVENT}\b", low):
        return Intent("calendar_cancel", act=True, query=t)
    if re.search(r"\b(move|reschedule|postpone|push( back)?|shift|bring forward)\b", low) and \
            re.search(rf"\b({_EVENT}|{_TIMEWORD})\b", low):
        return Intent("calendar_move", act=True, query=t)
    if re.search(r"\b(schedule|book|add|put|set up|arrange|create|plan)\b", low) and \
            re.search(rf"\b({_EVENT}|calendar|diary)\b", low):
        return Intent("calendar_create", act=True, query=t)
    if re.search(r"\b(save|write)\b.*\b(to|into|as) (a |the )?(file|note)\b", low):
        return Intent("file_write", act=True, query=t)
    # -- looking (read only) -------------------------------------------------------------
    if re.search(r"\b(my (day|schedule|calendar|agenda|diary|week)|what'?s on|what is on|"
                 r"am i (free|busy)|do i have (anything|any|a|an)\b.*\b(on|today|tomorrow|at)|"
                 r"when is my|next meeting)", low) or (
            re.search(rf"\b({_EVENT}|calendar)\b", low) and re.search(rf"\b{_TIMEWORD}\b", low)
            and re.search(r"\b(what|when|any|do i|have i|is there|list|show)\b", low)):
        return Intent("calendar_read", query=t)
    if re.search(r"\b(file|files|notes?|documents?|docs?|pdfs?|folder|report|spreadsheet|"
                 r"slides|essay|draft)\b", low) and re.search(
            r"\b(find|search|look|where|which|show|open|what (do|did) (my|the))\b", low) and \
            not re.search(rf"\b{_WORD}\b", low):
        return Intent("files_find", query=_after(
            r"(?:about|on|for|regarding|called|named|mention(?:s|ing)?)\s+(.+)$", t) or t)
    if re.search(rf"\b({_WORD}|newsletters?|receipts?|spam)\b", low) and not re.search(
            r"\b(love letter|letter (to|for)|write (a|me a) letter)\b", low):
        query = _after(r"\b(?:from|about|regarding|re:)\s+(.+)$", t)
        category = next((c for c in ("receipt", "newsletter", "notification", "spam")
                         if re.search(rf"\b{c}s?\b", low)), "")
        if query or category:
            return Intent("mail_search", query=query, extra={"category": category})
        return Intent("mail_overview", query=t)
    return None


_REVISION = re.compile(
    r"^\s*(?:(?:can you |could you |please |now )*(?:make it|make the letter|a (?:bit|little|touch)|"
    r"much|more|less|slightly)\s+)?(warmer|colder|shorter|longer|funnier|simpler|softer|sweeter|"
    r"more \w+|less \w+|formal|informal)\b"
    r"|^\s*(?:can you |could you |please |now |and )*(mention|add|include|remove|drop|cut|leave out|"
    r"say|change|end (?:it )?with|start (?:it )?with|sign (?:it|off)|don't mention|take out|"
    r"tell (?:her|him|them)|rewrite|reword|tone (?:it )?down)\b", re.I)


def read_making_intent(text: str, *, letter_open: bool = False) -> Intent | None:
    """Letters, the book and music, from the person's own words. ``letter_open``: a letter
    was being worked on just now (so "warmer" or "mention the dog" is about it)."""
    t = " ".join(text.split())
    low = t.lower()
    if re.search(r"\bsend\b.*\b(book|manuscript)\b", low) or re.search(
            r"\b(book|manuscript)\b.*\bto (a |the |my )?(publisher|editor|agent)", low):
        return Intent("book_send", act=True, query=t)
    if re.search(r"\b(book|collection|anthology|volume)\b", low) and re.search(
            r"\b(make|gather|put together|compile|create|collect|turn|bind|build|assemble|"
            r"best of)\b", low) and re.search(r"\bletters?\b|best of", low):
        return Intent("book_make", query=t)
    if re.search(r"\b(compose|write|make|play|create|improvise)\b.{0,40}\b(something|a piece|"
                 r"music|song|melody|tune|piano)\b", low) and re.search(
            r"\b(moment|music|piano|piece|song|melody|tune|for us|for this|for me|about us)\b",
            low) and not re.search(r"\b(letter|e-?mail|mail|note)\b", low):
        return Intent("music_compose", query=t)
    if re.search(r"\b(my|the) (music|pieces|songs)\b", low) and re.search(
            r"\b(list|show|what|which|play)\b", low):
        return Intent("music_list", query=t)
    if re.search(r"\b(write|draft|compose|pen|help me write|do)\b.{0,60}\bletter\b", low) and \
            not re.search(r"\b(e-?mail|cover letter)\b", low):
        return Intent("letter_write", query=t)
    if re.search(r"\b(my|the|all) letters\b|\bletter library\b", low) and re.search(
            r"\b(list|show|what|which|how many|see)\b", low):
        return Intent("letters_list", query=t)
    if re.search(r"\bhand-?writ|\bhandwriting\b|\bin ink\b|\bon paper\b", low) and (
            letter_open or "letter" in low):
        return Intent("letter_handwrite", query=t)
    if letter_open and re.search(r"\b(proof-?read|spell-?check|check (the |its )?(spelling|"
                                 r"grammar))\b", low) and not re.search(r":\s*\S.{10,}", t):
        return Intent("letter_proofread", query=t)
    if letter_open and len(t) <= 200 and _REVISION.search(t):
        return Intent("letter_revise", query=t)
    return None


def answer_to_proposal(text: str) -> str | None:
    """'yes' / 'no' to the proposal just shown: 'approve' | 'decline' | None."""
    if YES.match(text):
        return "approve"
    if NO.match(text):
        return "decline"
    return None


ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)


def addresses_in(text: str) -> set[str]:
    return {a.lower().rstrip(".") for a in ADDRESS.findall(text or "")}


def links_in(text: str) -> set[str]:
    return {u.rstrip(".,)>'\"").lower() for u in URL.findall(text or "")}
