"""Letters in the conversation: drafted in the sender's voice, revised by asking, proofread,
kept as versions — through the one loop, with the model faked at its seam."""

from __future__ import annotations

import json
from pathlib import Path

from os1.companion import Companion
from os1.events import Done, Made, TextDelta
from os1.llm.base import ChatMessage
from os1.tools.approvals import Approvals
from os1.tools.base import ToolRegistry
from os1.tools.letters.library import LetterLibrary
from os1.tools.letters.service import LetterService
from os1.tools.letters.turns import LetterTurns
from os1.tools.organizer import Organizer
from tests.fakes.backend import FakeBackend

REQUEST = ("Write a letter from Chris to Loretta for their 50th anniversary; they met in a bus "
           "queue in 1974")
DRAFT = ("Sure! Here's the letter:\nDear Loretta,\n\nFifty years ago I stood behind you in a bus "
         "queue in 1974 and never wanted the bus to come.\n\nAll my love,\nChris")


def build(store, persona, clock, backend: FakeBackend, tmp_path: Path,  # type: ignore[no-untyped-def]
          remember=None) -> Companion:
    organizer = Organizer(ToolRegistry(), Approvals(store, persona.user_id, clock), backend, clock,
                          user_name=persona.user_name)
    letters = LetterService(store, persona.user_id, clock, backend=backend,
                            out_dir=tmp_path / "letters", user_name=persona.user_name,
                            remember=remember)
    organizer.makers = [LetterTurns(letters, organizer)]
    return Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                     persona=persona, reply_tokens=128, organizer=organizer)


async def say(companion: Companion, text: str) -> tuple[str, list[object]]:
    events = [e async for e in companion.respond(text)]
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events


def plan(sender: str = "Chris", recipient: str = "Loretta", occasion: str = "50th anniversary",
         facts: str = "they met in a bus queue in 1974") -> str:
    return json.dumps({"sender": sender, "recipient": recipient, "occasion": occasion,
                       "facts": facts})


async def test_a_letter_is_drafted_in_the_senders_voice_and_kept(store, persona, clock,
                                                                  tmp_path: Path) -> None:
    backend = FakeBackend(script=[plan(), DRAFT])
    remembered: list[str] = []

    def remember(name: str) -> list[str]:
        remembered.append(name)
        return ["Loretta keeps a dog called Biscuit"] if name == "Loretta" else []

    companion = build(store, persona, clock, backend, tmp_path, remember)
    reply, events = await say(companion, REQUEST)
    made = [e for e in events if isinstance(e, Made)]
    assert len(made) == 1 and made[0].kind == "letter"
    letter = LetterLibrary(store).get(persona.user_id, made[0].item_id)
    assert (letter.sender, letter.recipient, letter.occasion) == ("Chris", "Loretta",
                                                                  "50th anniversary")
    # The model's chatter before the greeting is gone; greeting and signature are there.
    assert letter.body.startswith("Dear Loretta,") and letter.body.rstrip().endswith("Chris")
    assert letter.body in reply and "Sure!" not in letter.body
    # The draft was asked for in Chris's voice, with the facts and what os1 remembers.
    system, user = backend.calls[-1].messages
    assert "Write as Chris, to Loretta" in system.content
    assert "bus queue in 1974" in user.content and "Biscuit" in user.content
    assert set(remembered) == {"Chris", "Loretta"}
    # The person's message and the letter are in the conversation.
    stored = store.messages(persona.user_id, companion.conversation_id)
    assert [m.content for m in stored if m.role == "user"] == [REQUEST]
    assert letter.body in stored[-1].content
    assert isinstance(events[-1], Done)


async def test_revisions_by_asking_are_new_versions(store, persona, clock, tmp_path: Path) -> None:
    warmer = DRAFT.replace("never wanted", "have never once wanted")
    dog = warmer.replace("All my love", "Biscuit sends a wag.\n\nAll my love")
    backend = FakeBackend(script=[plan(), DRAFT, warmer, dog])
    companion = build(store, persona, clock, backend, tmp_path)
    await say(companion, REQUEST)
    clock.advance(minutes=2)
    reply, _ = await say(companion, "make it warmer")
    assert "Version 2" in reply and "never once wanted" in reply
    assert "warmer" in backend.calls[-1].messages[0].content.lower()
    assert "never wanted the bus" in backend.calls[-1].messages[1].content  # the old text
    clock.advance(minutes=2)
    reply, _ = await say(companion, "mention the dog")
    assert "mention the dog" in backend.calls[-1].messages[0].content
    library = LetterLibrary(store)
    letter = library.all(persona.user_id)[0]
    assert [(v.version, v.change) for v in library.versions(persona.user_id, letter.id)] == [
        (1, "drafted"), (2, "make it warmer"), (3, "mention the dog")]
    assert "Biscuit sends a wag" in letter.body


async def test_a_failed_revision_keeps_the_letter_and_says_so(store, persona, clock,
                                                              tmp_path: Path) -> None:
    backend = FakeBackend(script=[plan(), DRAFT, "", DRAFT])  # empty, then unchanged
    companion = build(store, persona, clock, backend, tmp_path)
    await say(companion, REQUEST)
    reply, _ = await say(companion, "shorter")
    assert "the letter is as it was" in reply
    assert LetterLibrary(store).all(persona.user_id)[0].versions == 1


async def test_no_recipient_gets_a_question_and_nothing_is_made(store, persona, clock,
                                                                tmp_path: Path) -> None:
    backend = FakeBackend(script=[plan(sender="", recipient="", occasion="", facts="")])
    companion = build(store, persona, clock, backend, tmp_path)
    reply, events = await say(companion, "write a letter for my anniversary")
    assert "Who is the letter to?" in reply and not [e for e in events if isinstance(e, Made)]
    assert LetterLibrary(store).count(persona.user_id) == 0


async def test_names_the_model_invents_are_not_used(store, persona, clock, tmp_path: Path) -> None:
    backend = FakeBackend(script=[plan(recipient="Margaret"), DRAFT])
    companion = build(store, persona, clock, backend, tmp_path)
    await say(companion, REQUEST)
    assert LetterLibrary(store).all(persona.user_id)[0].recipient == "Loretta"


async def test_earlier_letters_between_them_set_the_voice(store, persona, clock,
                                                          tmp_path: Path) -> None:
    LetterLibrary(store).add(persona.user_id, sender="Loretta", recipient="Chris",
                             body="Dear Chris,\nThe garden misses you.\nLoretta", now=clock.now())
    clock.advance(hours=5)
    backend = FakeBackend(script=[plan(), DRAFT])
    companion = build(store, persona, clock, backend, tmp_path)
    await say(companion, REQUEST)
    assert "The garden misses you" in backend.calls[-1].messages[1].content


async def test_without_an_open_letter_a_short_word_is_just_conversation(store, persona, clock,
                                                                         tmp_path: Path) -> None:
    backend = FakeBackend(default="Warmer? The weather, you mean?")
    companion = build(store, persona, clock, backend, tmp_path)
    reply, events = await say(companion, "warmer")
    assert reply == "Warmer? The weather, you mean?"
    assert all(call.schema is None for call in backend.calls)
    assert LetterLibrary(store).count(persona.user_id) == 0


async def test_proofreading_the_letter_shows_changes_and_keeps_both(store, persona, clock,
                                                                     tmp_path: Path) -> None:
    typo = DRAFT.replace("wanted the bus", "wanted teh bus")
    backend = FakeBackend(script=[plan(), typo, json.dumps({"changes": []})])
    companion = build(store, persona, clock, backend, tmp_path)
    await say(companion, REQUEST)
    reply, _ = await say(companion, "proofread it")
    assert "teh → the" in reply
    letter = LetterLibrary(store).all(persona.user_id)[0]
    assert letter.versions == 2 and "wanted the bus" in letter.body


def model_saw(backend: FakeBackend) -> list[list[ChatMessage]]:
    return [c.messages for c in backend.calls]


def test_a_draft_that_loops_is_cut_to_one_telling_and_a_whole_sentence() -> None:
    """Seen with the embedded 1.5B: one paragraph written again and again until the token
    limit, the last copy cut mid-sentence."""
    from os1.tools.letters.draft import LetterRequest, frame

    loop = "I saw you at the bus stop again, still in the queue, and I was so glad."
    text = "Dear Loretta,\n\nFifty years.\n" + "\n".join([loop] * 8) + "\nI saw you at the bus st"
    letter = frame(text, LetterRequest(sender="Chris", recipient="Loretta"))
    assert letter.count(loop) == 1
    assert "bus st\n" not in letter and letter.rstrip().endswith("Chris")
