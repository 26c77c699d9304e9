"""The conversation loop. Every surface (terminal, voice, web, API) drives ``respond``.

The person's message is stored before the model is called; whatever happens next (the
backend dies, the person presses Ctrl-C, the process is killed), it is already safe. A reply
is stored when it ends; an interrupted one keeps what was said, marked ``interrupted``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta

from os1.clock import Clock
from os1.context import ConversationContext
from os1.emotion import safety
from os1.emotion.classifier import EmotionRead
from os1.emotion.prosody import Prosody
from os1.emotion.service import EmotionService
from os1.errors import BackendError, Os1Error, StorageError
from os1.events import Done, Emotion, Error, Event, Notice, TextDelta, ToolProposal, ToolResult
from os1.llm.base import ChatBackend
from os1.memory.service import MemoryService, RecallBlock, memory_intent
from os1.memory.worker import MemoryWorker
from os1.persona.model import Persona
from os1.store import Store, StoredMessage
from os1.tools.approvals import Changed, Proposal
from os1.tools.intents import answer_to_proposal
from os1.tools.organizer import Organizer, Outcome

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 200_000  # stored whole up to this; the model sees what fits


def clean_text(text: str) -> tuple[str, list[str]]:
    """Make text storable: invalid bytes (surrogate escapes) become U+FFFD, NULs go."""
    notices = []
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        notices.append("Part of that message wasn't valid text (UTF-8); I replaced the unreadable "
                       "bytes with �.")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text, notices


class Companion:
    """One person's companion. Built from injected parts; holds no global state."""

    def __init__(self, *, store: Store, backend: ChatBackend, clock: Clock, user_id: int,
                 persona: Persona, reply_tokens: int = 512, memory: MemoryService | None = None,
                 worker: MemoryWorker | None = None,
                 emotion: EmotionService | None = None,
                 organizer: Organizer | None = None) -> None:
        self.store = store
        self.organizer = organizer
        self.memory = memory
        self.emotion = emotion
        self.worker = worker
        self.backend = backend
        self.clock = clock
        self.user_id = user_id
        self.persona = persona
        self.reply_tokens = reply_tokens
        self.last_reply_id = 0  # the reply stored last (also when it was interrupted)
        self.conversation_id = store.current_conversation(user_id, persona.id)
        self.context = ConversationContext(store, backend, clock, user_id=user_id,
                                           conversation_id=self.conversation_id, persona=persona,
                                           reply_tokens=reply_tokens)

    async def respond(self, text: str, *, source: str = "user",
                      prosody: Prosody | None = None) -> AsyncIterator[Event]:
        """Answer one message from the person, streaming events.

        ``prosody``: how it sounded, when it was spoken (the voice pipeline measures it).
        """
        text, notices = clean_text(text)
        if not text.strip():
            yield Error("There's nothing in that message. Type something and press Enter.")
            return
        if len(text) > MAX_MESSAGE_CHARS:
            notices.append(f"That message is {len(text):,} characters; I kept the first "
                           f"{MAX_MESSAGE_CHARS:,}.")
            text = text[:MAX_MESSAGE_CHARS]
        # The blocking steps (the database, the embedder) run in threads: a server streams
        # everyone else's replies on this event loop meanwhile. The order is the same.
        def store_it() -> int:
            self._mark_the_day()
            return self.store.add_message(self.user_id, self.conversation_id, role="user",
                                          source=source, content=text)

        try:
            message_id = await asyncio.to_thread(store_it)
        except StorageError as exc:
            yield Error(f"{exc.what} Your message was NOT saved.\n{exc.fix}")
            return
        for notice in notices:
            yield Notice(notice)
        if self.worker is not None:  # learning waits; the person doesn't
            await asyncio.to_thread(self.worker.hold)
        learn = True
        try:
            felt = await self._sense(text, message_id, prosody)
            if felt is not None:
                yield Emotion(message_id, felt.labels, felt.valence, felt.arousal, felt.source)
            if self.emotion is not None and (problem := self.emotion.take_notice()):
                yield Notice(problem)
            if safety.suggests_self_harm(text):
                # Enforced here, whatever the model would say: care, and where real help is.
                async for event in self._fixed_reply(safety.caring_reply(self.persona.user_name),
                                                     message_id, kind="safety"):
                    yield event
                return
            intent = memory_intent(text) if self.memory is not None else None
            if intent is not None:
                learn = False
                async for event in self._memory_command(intent, text, message_id):
                    yield event
                return
            if self.organizer is not None and source in ("user", "voice"):
                organized = False
                async for event in self._organize(text, message_id):
                    organized = True
                    yield event
                if organized:
                    return

            def notes() -> str | None:
                shown = self._shown()
                recall_notice = self._recall(text, message_id, shown)
                self._note_tone(felt, shown)
                return recall_notice

            recall_notice = await asyncio.to_thread(notes)
            if recall_notice:
                yield Notice(recall_notice)
            async for event in self._reply(user_message_id=message_id):
                yield event
        finally:
            await asyncio.shield(asyncio.to_thread(self._after_exchange, message_id, text,
                                                   learn=learn))

    async def _organize(self, text: str, message_id: int) -> AsyncIterator[Event]:
        """Mail, calendar, files: yields nothing when the message isn't for the organizer.

        Only the person's own words (``source`` user/voice) get here: a 'yes' inside an email
        is never an approval, and outside text never chooses a tool.
        """
        assert self.organizer is not None
        answer = answer_to_proposal(text)
        if answer is not None:
            pending = await asyncio.to_thread(self.organizer.approvals.pending)
            recent = [p for p in pending if p.message_id is not None
                      and message_id - p.message_id <= 6]
            if recent:
                async for event in self._decided(recent[-1].id, answer == "approve", message_id):
                    yield event
                return
        earlier = await asyncio.to_thread(self._earlier_words, message_id)
        outcome = await self.organizer.handle(text, message_id, earlier=earlier)
        if outcome is None:
            return
        async for event in self._outcome(outcome, message_id):
            yield event

    def _earlier_words(self, message_id: int) -> list[str]:
        """The person's own last few messages (context for 'reply to her saying yes')."""
        recent = self.store.messages(self.user_id, self.conversation_id, limit=8,
                                     newest_first=True)
        return [m.content for m in reversed(recent)
                if m.role == "user" and m.id != message_id][-3:]

    async def _outcome(self, outcome: Outcome, message_id: int) -> AsyncIterator[Event]:
        if outcome.note:
            await asyncio.to_thread(
                self.store.add_message, self.user_id, self.conversation_id, role="event",
                source="outside", content=outcome.note,
                meta={"kind": "tool_result", "tools": outcome.tools, "reply_to": message_id})
        for proposal in outcome.proposals:
            yield _proposal_event(proposal)
        for made in outcome.made:
            yield made
        if outcome.reply is not None:
            shown = outcome.reply
            stored = "\n\n".join([shown] + [p.preview.render() for p in outcome.proposals])
            async for event in self._fixed_reply(shown, message_id, kind="organizer",
                                                 stored=stored,
                                                 meta={"proposals": [p.id for p in
                                                                     outcome.proposals]}):
                yield event
            return
        async for event in self._reply(user_message_id=message_id,
                                       instruction=outcome.instruction):
            yield event

    async def decide(self, proposal_id: int, approve: bool) -> AsyncIterator[Event]:
        """The person pressed Approve or Decline (or typed /approve N): carry it out and say
        what happened, in the conversation too."""
        async for event in self._decided(proposal_id, approve, None):
            yield event

    async def _decided(self, proposal_id: int, approve: bool,
                       message_id: int | None) -> AsyncIterator[Event]:
        if self.organizer is None:
            yield Error("There's nothing to approve: the organizer isn't set up.")
            return
        try:
            proposal = await self.organizer.decide(proposal_id, approve)
        except Changed as exc:
            yield Notice(exc.what)
            yield _proposal_event(exc.fresh)
            return
        except Os1Error as exc:
            yield Error(f"{exc.what}\n{exc.fix}".strip(), message_id)
            return
        said = {"done": "Done — " + (proposal.result or proposal.preview.title),
                "failed": "That didn't work: " + (proposal.result or "unknown error"),
                "declined": "Okay, I won't.",
                "expired": "That had expired, so I did nothing."}.get(proposal.status,
                                                                     proposal.status)
        yield ToolResult(proposal.id, proposal.tool, proposal.status, said)
        note = f"({self.persona.user_name} {'approved' if approve else 'declined'} " \
               f"#{proposal.id}, {proposal.preview.title}: {said})"
        if message_id is not None:
            async for event in self._fixed_reply(said, message_id, kind="organizer",
                                                 stored=note):
                yield event
        else:
            await asyncio.to_thread(self.store.add_message, self.user_id, self.conversation_id,
                                    role="event", source="os1", content=note,
                                    meta={"kind": "decision", "proposal": proposal.id})

    def _shown(self) -> list[StoredMessage] | None:
        """What the model sees now, read once for the notes about this message (recall, tone);
        None when there are no notes to write or the conversation couldn't be read."""
        if self.memory is None and self.emotion is None:
            return None
        try:
            return self.context.shown()
        except StorageError as exc:  # notes are a help, never a reason not to answer
            log.warning("notes skipped: %s", exc.what)
            return None

    def _recall(self, text: str, message_id: int, shown: list[StoredMessage] | None) -> str | None:
        """Put what the companion remembers about this into the conversation, as a note.

        The note is stored (role 'event', source 'memory') right after the person's message,
        so the prompt keeps growing by appending and llama.cpp's evaluated prefix survives;
        memories already in view aren't repeated.
        """
        if self.memory is None:
            return None
        notice = self.memory.take_notice()
        if shown is None:
            return notice
        try:
            shown_messages, shown_memories = self.context.visible(shown)
            block = self.memory.recall_block(text, shown_messages=shown_messages | {message_id},
                                             shown_memories=shown_memories)
            if block is not None:
                self._store_note(block)
        except StorageError as exc:  # recall is a help, never a reason not to answer
            log.warning("recall skipped: %s", exc.what)
        return notice

    async def _sense(self, text: str, message_id: int,
                     prosody: Prosody | None) -> EmotionRead | None:
        """Read how the message feels and keep it on the mood timeline (a few ms)."""
        if self.emotion is None:
            return None
        return await asyncio.to_thread(self.emotion.read, message_id, text, prosody=prosody,
                                       at=self.clock.now())

    def _note_tone(self, felt: EmotionRead | None, shown: list[StoredMessage] | None) -> None:
        """Tell the model how the person seems, when that changed (a stored note, like recall:
        appended after the message, shown just before it)."""
        if self.emotion is None or felt is None or shown is None:
            return
        try:
            last = self.context.last_note(shown, "emotion")
            note = self.emotion.tone_line(felt, last_key=last.meta.get("key") if last else None)
            if note is not None:
                self.store.add_message(self.user_id, self.conversation_id, role="event",
                                       source="emotion", content=note[0], meta=note[1])
        except StorageError as exc:  # a help, never a reason not to answer
            log.warning("tone note skipped: %s", exc.what)

    async def _fixed_reply(self, reply: str, message_id: int, *, kind: str,
                           stored: str | None = None,
                           meta: dict[str, object] | None = None) -> AsyncIterator[Event]:
        """A reply written in code, not by the model, stored like any other (``stored``: what
        the conversation keeps, when it differs from what is shown)."""
        try:
            reply_id = self.store.add_message(self.user_id, self.conversation_id,
                                              role="assistant", source="companion",
                                              content=stored or reply,
                                              meta={"kind": kind, "reply_to": message_id,
                                                    **(meta or {})})
        except StorageError as exc:
            yield TextDelta(reply)
            yield Error(f"{exc.what} The reply above couldn't be saved.\n{exc.fix}", message_id)
            return
        yield TextDelta(reply)
        yield Done(reply_id, reply, interrupted=False, usage={})

    def _recall_around_now(self) -> bool:
        if self.memory is None:
            return False
        _, shown_memories = self.context.visible()
        block = self.memory.around_now(shown_memories=shown_memories)
        if block is None:
            return False
        self._store_note(block)
        return True

    def _store_note(self, block: RecallBlock) -> None:
        self.store.add_message(self.user_id, self.conversation_id, role="event", source="memory",
                               content=block.text, meta={"kind": "recall",
                                                         "memory_ids": block.memory_ids,
                                                         "lines": block.lines})

    def _after_exchange(self, message_id: int, text: str, *, learn: bool) -> None:
        if self.memory is None:
            return
        try:
            if not learn:
                self.memory.memories.enqueue_episodes(self.user_id, self.conversation_id)
                self.memory.memories.skip_episodes_for(self.user_id, [message_id])
                return
            self.memory.note_exchange(self.conversation_id, message_id, text, self.clock.now())
        except StorageError as exc:  # the message itself is stored; the next scan queues it
            log.warning("couldn't queue the exchange for learning: %s", exc.what)
        finally:
            if self.worker is not None:
                self.worker.release()

    async def _memory_command(self, intent: tuple[str, str], text: str,
                              message_id: int) -> AsyncIterator[Event]:
        """'forget that', 'forget about Amy', 'what do you know about me?': done exactly, in
        code, not left to the model's discretion."""
        assert self.memory is not None
        action, subject = intent
        memory = self.memory
        stored = None  # what the conversation keeps, when it mustn't repeat what was erased
        if action == "overview":
            known = memory.overview()
            if not known:
                reply = (f"I don't know much about you yet, {self.persona.user_name}. Tell me "
                         "about your life and I'll remember it.")
            else:
                lines = "\n".join(f"• {m.content}" for m in known)
                reply = (f"Here's what I know about you:\n{lines}\n\nIf anything is wrong, tell "
                         "me, or say \"forget about …\". 'os1 memory list' shows everything, "
                         "and 'os1 memory forget' erases.")
                # The list isn't kept in the conversation: it would outlive a later
                # "forget about …" there, where the model reads it on every turn.
                stored = f"(I told {self.persona.user_name} the {len(known)} things I know about them.)"
        elif action == "forget_last":
            previous = memory.memories.last_episode_before(self.user_id, self.conversation_id,
                                                           message_id)
            forgotten: list[int] = []
            if previous is not None:
                forgotten = memory.forget_messages([previous.message_id])
                self.store.redact_exchange(self.user_id, previous.message_id)
                _forget_cached_state(self.backend)
            reply = ("Forgotten. I won't keep it or bring it up again." if previous is not None
                     else "There's nothing before that for me to forget.")
            if forgotten:
                reply = f"Forgotten ({len(forgotten)} thing{'s' if len(forgotten) != 1 else ''} " \
                        "I'd kept from it). I won't bring it up again."
        else:
            hits = [h for h in memory.recall(subject, limit=50, include_invalid=True)
                    if h.keyword > 0 or h.similarity >= 0.55]
            forgotten = memory.forget([h.memory.id for h in hits])
            if forgotten:
                _forget_cached_state(self.backend)
                shown = "\n".join(f"• {h.memory.content}" for h in hits[:10])
                more = f"\n… and {len(hits) - 10} more." if len(hits) > 10 else ""
                reply = f"I've forgotten everything I knew about {subject}:\n{shown}{more}"
                stored = (f"(I forgot {len(forgotten)} thing{'s' if len(forgotten) != 1 else ''} "
                          f"about {subject}, as {self.persona.user_name} asked.)")
            else:
                reply = f"I don't have anything about {subject} to forget."
        reply_id = self.store.add_message(self.user_id, self.conversation_id, role="assistant",
                                          source="companion", content=stored or reply,
                                          meta={"kind": "memory", "reply_to": message_id})
        yield TextDelta(reply)
        yield Done(reply_id, reply, interrupted=False, usage={})

    async def greet(self) -> AsyncIterator[Event]:
        """Speak first: an introduction after genesis, or a welcome back that knows the
        conversation so far."""
        last = self.store.messages(self.user_id, self.conversation_id, limit=1, newest_first=True)
        name = self.persona.user_name
        local = self.clock.now().astimezone()
        when = f"It is {local:%A}, {local:%H:%M} ({_part_of_day(local.hour)}) for {name}."
        if not last:
            instruction = (f"{when} This is the first moment you are awake and meeting {name}. "
                           "Say hello, tell them your name, and ask one gentle question to get "
                           "to know them. Two or three sentences.")
        else:
            away = self.clock.now() - last[0].created_at
            instruction = (f"{when} {name} has just come back after {_humanize(away)}. Welcome "
                           "them back in one short sentence that picks up from what you last "
                           "talked about.")
        try:
            self._mark_the_day(last[0] if last else None)
            if last and self._recall_around_now():
                instruction += (" If a plan or event you remember has just happened or is coming "
                                "up, ask about it.")
            if last and self.emotion is not None and (change := self.emotion.trend_to_mention()):
                instruction += (f" By the way you've read their messages, {change}: let that show "
                                "lightly and warmly in how you greet them, without naming "
                                "feelings or sounding clinical.")
                self.emotion.mark_trend_mentioned()
        except StorageError as exc:
            yield Error(f"{exc.what}\n{exc.fix}")
            return
        async for event in self._reply(instruction=instruction, kind="greeting"):
            yield event

    def _mark_the_day(self, last: StoredMessage | None = None) -> None:
        """When a new day begins, say so in the conversation (role 'event').

        Appending the date keeps everything before it a stable, already-evaluated prefix;
        a date in the persona prompt would make the first start of each day re-read the
        whole conversation.
        """
        local = self.clock.now().astimezone()
        if last is None:
            newest = self.store.messages(self.user_id, self.conversation_id, limit=1,
                                         newest_first=True)
            last = newest[0] if newest else None
        if last is not None and last.created_at.astimezone().date() == local.date():
            return
        self.store.add_message(self.user_id, self.conversation_id, role="event", source="os1",
                               content=f"(It is now {local:%A, %d %B %Y}.)", meta={"kind": "day"})

    async def _reply(self, *, user_message_id: int | None = None, instruction: str | None = None,
                     kind: str = "reply") -> AsyncIterator[Event]:
        started = time.perf_counter()
        parts: list[str] = []
        first_token: float | None = None
        try:
            prompt = await self.context.build(instruction)
            if prompt.trimmed and user_message_id in prompt.trimmed:
                yield Notice("That's a long message. I've saved all of it, but I can only read "
                             "so much at once, so I read the beginning and the end.")
            built = time.perf_counter()
            async for piece in self.backend.stream(prompt.messages, max_tokens=self.reply_tokens):
                if first_token is None:
                    first_token = time.perf_counter()
                parts.append(piece)
                yield TextDelta(piece)
        except (asyncio.CancelledError, KeyboardInterrupt, GeneratorExit):
            self._save_reply(parts, "interrupted", kind, user_message_id)
            raise
        except BackendError as exc:
            if parts:
                self._save_reply(parts, "interrupted", kind, user_message_id, error=exc.what)
            saved = " Your message is saved." if user_message_id else ""
            yield Error(f"{exc.what}{saved}\n{exc.fix}", user_message_id)
            return
        except StorageError as exc:
            yield Error(f"{exc.what}\n{exc.fix}", user_message_id)
            return
        text = "".join(parts).strip()
        try:
            reply_id = await asyncio.to_thread(self._save_reply, parts, "complete", kind,
                                               user_message_id)
        except StorageError as exc:
            yield Error(f"{exc.what} The reply above couldn't be saved.\n{exc.fix}", user_message_id)
            return
        end = time.perf_counter()
        usage = {"prompt_build_s": built - started, "total_s": end - started}
        if first_token is not None:
            usage["first_token_s"] = first_token - started
        yield Done(reply_id, text, interrupted=False, usage=usage)

    def _save_reply(self, parts: list[str], status: str, kind: str,
                    user_message_id: int | None, error: str | None = None) -> int:
        text = "".join(parts).strip()
        if not text and status != "complete":
            return 0
        meta: dict[str, object] = {"kind": kind}
        if user_message_id:
            meta["reply_to"] = user_message_id
        if error:
            meta["error"] = error
        self.last_reply_id = self.store.add_message(self.user_id, self.conversation_id,
                                                    role="assistant", source="companion",
                                                    content=text, status=status, meta=meta)
        return self.last_reply_id

    def set_mode(self, mode: str) -> None:
        """Say in the conversation when the person switches between typing and talking out
        loud (a stored note, only on a change: appended, so the evaluated prefix survives).
        Spoken replies should be short and plain, as people talk."""
        try:
            notes = [n for n in self.store.notes(self.user_id, source="os1")
                     if n.meta.get("kind") == "mode"]
            current = notes[-1].meta.get("mode") if notes else "text"
            if current == mode:
                return
            name = self.persona.user_name
            text = (f"({name} is now talking with you out loud. Answer as in a spoken "
                    "conversation: one to three short sentences, warm and natural; no lists, "
                    "no markdown, no emoji.)" if mode == "voice" else
                    f"({name} is typing again now.)")
            self.store.add_message(self.user_id, self.conversation_id, role="event",
                                   source="os1", content=text, meta={"kind": "mode", "mode": mode})
        except StorageError as exc:  # a help, never a reason not to talk
            log.warning("mode note skipped: %s", exc.what)

    def settle_spoken(self, reply_id: int, spoken: str) -> None:
        """A spoken reply was cut short: keep what the person actually heard, marked
        interrupted (what was written but never said isn't part of the conversation)."""
        if not reply_id:
            return
        stored = self.store.message(self.user_id, reply_id)
        if stored is None or stored.role != "assistant":
            return
        if not spoken.strip():
            self.store.delete_message(self.user_id, reply_id)
            return
        meta = dict(stored.meta) | {"cut_short": "voice"}
        self.store.finish_message(self.user_id, reply_id, content=spoken.strip(),
                                  status="interrupted", meta=meta)


def _proposal_event(proposal: Proposal) -> ToolProposal:
    return ToolProposal(proposal.id, proposal.tool, proposal.preview.as_dict(),
                        proposal.preview.render(), proposal.expires_at.isoformat())


def _forget_cached_state(backend: ChatBackend) -> None:
    """The saved KV cache holds the conversation as it was; after an erasure it must go."""
    forget = getattr(backend, "forget_state", None)
    if callable(forget):
        forget()


def _part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 18:
        return "afternoon"
    if 18 <= hour < 23:
        return "evening"
    return "night"


def _humanize(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return "a moment"
    if seconds < 3600:
        return f"{seconds // 60} minutes"
    if seconds < 86400:
        hours = seconds // 3600
        return "an hour" if hours == 1 else f"{hours} hours"
    days = seconds // 86400
    return "a day" if days == 1 else f"{days} days"
