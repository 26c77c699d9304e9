"""What the model sees of the conversation: the persona, a summary of older turns, and as
many recent turns as fit.

The prompt only grows by appending until it nears the context window; then the older half
is folded into a summary at once (not a turn at a time), so the evaluated prefix that
llama.cpp keeps stays valid for many turns between folds. However long the history or a
single message, the prompt always fits: that is checked here, not hoped for.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from os1.clock import Clock
from os1.errors import BackendError
from os1.llm.base import ChatBackend, ChatMessage, complete
from os1.persona.model import Persona
from os1.persona.prompt import persona_prompt
from os1.store import Store, StoredMessage, Summary

log = logging.getLogger(__name__)

FOLD_AT = 0.8  # fold when the prompt would fill this share of the budget
KEEP_AFTER_FOLD = 0.3  # keep about this share of the budget as verbatim recent turns
SUMMARY_WORDS = 180
NOTE_SOURCES = ("memory", "emotion")  # os1's notes about the message they follow


@dataclass
class Prompt:
    messages: list[ChatMessage]
    trimmed: list[int] = field(default_factory=list)  # ids of messages shown only in part
    dropped: int = 0  # older messages that didn't fit (beyond the summary)
    folded: bool = False
    tokens: int = 0  # estimated prompt tokens, instruction included
    shown: list[StoredMessage] = field(default_factory=list)  # the stored messages included


class ConversationContext:
    def __init__(self, store: Store, backend: ChatBackend, clock: Clock, *, user_id: int,
                 conversation_id: int, persona: Persona, reply_tokens: int) -> None:
        self.store = store
        self.backend = backend
        self.clock = clock
        self.user_id = user_id
        self.conversation_id = conversation_id
        self.persona = persona
        self.reply_tokens = reply_tokens
        self._costs: dict[tuple[int, str], int] = {}

    @property
    def budget(self) -> int:
        """Prompt tokens available: the window, less room for the reply and the template."""
        overhead = 16 * 8
        return max(256, self.backend.context_tokens - self.reply_tokens - overhead)

    def _cost(self, message: StoredMessage) -> int:
        key = (message.id, message.status)
        if key not in self._costs:
            self._costs[key] = self.backend.count_tokens(message.content) + 8
        return self._costs[key]

    def _render(self, message: StoredMessage, limit: int) -> tuple[ChatMessage, bool]:
        role = {"assistant": "assistant", "event": "system"}.get(message.role, "user")
        text = message.content
        trimmed = False
        if self._cost(message) > limit:
            keep = max(200, int(len(text) * limit / self._cost(message)) - 80)
            head, tail = text[: keep * 2 // 3], text[-(keep // 3):]
            omitted = len(text) - len(head) - len(tail)
            text = f"{head}\n[… {omitted:,} characters left out here …]\n{tail}"
            trimmed = True
        if message.status == "interrupted":
            text = text.rstrip() + " —"
        return ChatMessage(role, text), trimmed

    async def build(self, instruction: str | None = None) -> Prompt:
        # Reading the conversation and counting its tokens block; a server streams other
        # people's replies on this event loop meanwhile, so they run in a thread.
        def first() -> tuple[Summary | None, Prompt]:
            summary = self.store.latest_summary(self.user_id, self.conversation_id)
            return summary, self._fit(summary, instruction)

        summary, prompt = await asyncio.to_thread(first)
        if prompt.tokens > FOLD_AT * self.budget and len(prompt.shown) > 4:
            summary = await self._fold(prompt, summary, instruction)
            prompt = await asyncio.to_thread(self._fit, summary, instruction)
            prompt.folded = True
        return prompt

    def shown(self) -> list[StoredMessage]:
        """The stored messages the model would see now (one read of the conversation)."""
        return self._fit(self.store.latest_summary(self.user_id, self.conversation_id), None).shown

    def visible(self, shown: list[StoredMessage] | None = None) -> tuple[set[int], set[int]]:
        """What the model would see now: the stored message ids in the prompt, and the ids of
        memories that recall notes among them already show."""
        shown = self.shown() if shown is None else shown
        messages = {m.id for m in shown}
        memories = {int(i) for m in shown if m.source == "memory"
                    for i in m.meta.get("memory_ids", [])}
        return messages, memories

    @staticmethod
    def last_note(shown: list[StoredMessage], source: str) -> StoredMessage | None:
        """The newest note from ``source`` among ``shown``."""
        return next((m for m in reversed(shown) if m.source == source), None)

    def _fit(self, summary: Summary | None, instruction: str | None) -> Prompt:
        """The persona, the summary, and the newest turns that fit — always within budget."""
        history = self._history(summary)
        system = persona_prompt(self.persona, summary.content if summary else None)
        used = self.backend.count_tokens(system) + (
            self.backend.count_tokens(instruction) + 8 if instruction else 0)
        room = self.budget - used
        per_message = max(128, room // 2)
        chosen: list[ChatMessage] = []
        shown: list[StoredMessage] = []
        trimmed: list[int] = []
        for message in reversed(history):
            rendered, was_trimmed = self._render(message, per_message)
            cost = self.backend.count_tokens(rendered.content) + 8
            if cost > room:
                break
            room -= cost
            chosen.append(rendered)
            shown.append(message)
            if was_trimmed:
                trimmed.append(message.id)
        chosen.reverse()
        shown.reverse()
        # Notes about a message (what was recalled for it, how the person seems) are stored
        # after it (the message is saved first, always) but shown before it: small models
        # answer the last thing they read, and would otherwise recite a note instead of
        # answering the person.
        i = 0
        while i < len(shown):
            j = i + 1
            while j < len(shown) and shown[j].source in NOTE_SOURCES:
                j += 1
            if shown[i].role == "user" and j > i + 1:
                chosen[i:j] = [*chosen[i + 1:j], chosen[i]]
            i = j
        messages = [ChatMessage("system", system), *_merge_same_role(chosen)]
        if instruction:
            messages.append(ChatMessage("system", instruction))
        return Prompt(messages, trimmed, len(history) - len(chosen), False,
                      self.budget - room, shown)

    def _history(self, summary: Summary | None) -> list[StoredMessage]:
        after = summary.upto_message_id if summary else 0
        return [m for m in self.store.messages(self.user_id, self.conversation_id, after_id=after)
                if m.status != "failed" or m.role == "user"]

    async def _fold(self, prompt: Prompt, summary: Summary | None,
                    instruction: str | None) -> Summary:
        """Fold the older turns into a summary, and store it.

        The request is the conversation prompt itself plus one note, so llama.cpp (and any
        server with prefix caching) reuses what it has already evaluated and only writes the
        summary: a fold costs a short generation, not a second read of the conversation.
        """
        history = prompt.shown
        keep_budget = int(KEEP_AFTER_FOLD * self.budget)
        kept, cut = 0, len(history)
        while cut > 2 and kept + self._cost(history[cut - 1]) <= keep_budget:
            cut -= 1
            kept += self._cost(history[cut])
        older = history[:cut]
        user = self.persona.user_name
        base = prompt.messages[:-1] if instruction else prompt.messages
        note = ChatMessage("system", (
            f"(A note from os1, not from {user}: pause the conversation. In under {SUMMARY_WORDS} "
            f"words, write notes for yourself of what you should remember from everything above: "
            "names, facts, feelings, plans, and where the conversation was going. Plain prose; "
            f"don't answer {user}.)"))
        request = [*base, note]
        room = self.backend.context_tokens - sum(
            self.backend.count_tokens(m.content) + 8 for m in request) - 16
        content, method = "", "model"
        if room >= 64:
            try:
                content = (await complete(self.backend, request,
                                          max_tokens=min(SUMMARY_WORDS * 2, room),
                                          temperature=0.2)).strip()
            except BackendError as exc:
                log.warning("summary: backend failed (%s); using the fallback", exc.what)
        if len(content) < 20:
            content, method = _fallback_summary(summary, older, user), "fallback"
        upto = older[-1].id
        self.store.add_summary(self.user_id, self.conversation_id, upto_message_id=upto,
                               content=content, method=method)
        return Summary(upto, content, method)


def _fallback_summary(previous: Summary | None, older: list[StoredMessage], user: str) -> str:
    """Without the model: keep what the person said, shortened. Nothing is deleted either way:
    the full messages stay in the database; this is only what the prompt carries."""
    said = [m.content.strip().replace("\n", " ")[:160] for m in older if m.role == "user"]
    text = (previous.content + " " if previous else "") + f"{user} said: " + " / ".join(said)
    return text[-2000:]


def _merge_same_role(messages: list[ChatMessage]) -> list[ChatMessage]:
    """Some chat templates insist that user and assistant alternate."""
    merged: list[ChatMessage] = []
    for message in messages:
        if merged and merged[-1].role == message.role:
            merged[-1] = ChatMessage(message.role, merged[-1].content + "\n\n" + message.content)
        else:
            merged.append(message)
    return merged
