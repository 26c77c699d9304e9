"""``os1 memory``: the person sees, searches, corrects, exports and erases what is remembered.

Memories are prepared through os1's own API (the real store, the real embedding model), then
the real ``os1`` command runs as a separate process; only the model server is scripted.
"""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from os1.clock import SystemClock
from os1.memory.embed import Embedder, load_embedder
from os1.memory.factory import build_memory
from os1.memory.service import MemoryService
from os1.persona.model import Traits
from os1.store import Store, open_engine
from tests.cli.helpers import (
    Os1,
    expect,
    finish,
    messages,
    plain,
    prompt,
    request_text,
    run_group,
    seed_persona,
    sql,
    transcript,
    wait_for,
)
from tests.fakes.openai_server import HANG

CATHERINE = "Theodore's ex-wife is called Catherine."
AMY = "Amy is Theodore's oldest friend."
LETTERS = "Theodore writes heartfelt letters for other people at work."


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


@contextmanager
def memory_of(db: Path, embedder: Embedder, handle: str = "local") -> Iterator[MemoryService]:
    """The person's memory, opened the way os1 opens it (the engine is closed afterwards)."""
    clock = SystemClock()
    engine = open_engine(db, clock)
    try:
        store = Store(engine, clock, label=db)
        user = store.ensure_user(handle)
        persona = store.active_persona(user)
        if persona is None:
            persona = store.create_persona(
                user, name="Samantha", name_story="It sounded right.", user_name="Someone",
                voice="female", traits=Traits(warmth=0.5, humour=0.5, curiosity=0.5,
                                              directness=0.5), answers={})
        yield build_memory(store, clock, user_id=user, persona=persona, embedder=embedder)
    finally:
        engine.dispose()


def run(os1: Os1, *args: str, **kwargs: Any) -> tuple[str, str, subprocess.CompletedProcess[bytes]]:
    """``os1 memory ARGS``, piped (not a terminal)."""
    return run_group(os1, "memory", *args, **kwargs)


def as_json(os1: Os1, *args: str) -> Any:
    out, _, _ = run(os1, *args, "--json")
    return json.loads(out)


def fts_rows(db: Path, word: str) -> list[tuple[Any, ...]]:
    return sql(db, "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?", word)


def test_without_a_companion_it_says_to_meet_one_first(os1):
    _, err, _ = run(os1, "list", ok=False)
    assert "You haven't met your companion yet" in plain(err)
    assert "Run 'os1' first to meet your companion." in plain(err)


def test_list_shows_what_is_known_and_all_shows_history_and_own_words(os1, embedder):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        old = memory.add(kind="fact", content="Theodore lives in Los Angeles.", about="Theodore",
                         topic="home city")
        new = memory.add(kind="fact", content="Theodore lives in San Francisco.",
                         about="Theodore", topic="home city")
        memory.memories.supersede(memory.user_id, old, new_id=new, at=memory.clock.now(),
                                  reason="Theodore said he moved")
        moment = memory.add(kind="moment", content="I can't stop thinking about the letters",
                            origin="moment")
        friend = memory.add(kind="person", content=AMY, about="Amy", topic="friend")

    out = plain(run(os1, "list")[0])
    assert "San Francisco" in out and AMY in out
    assert "Los Angeles" not in out and "stop thinking" not in out
    assert out.index(AMY) < out.index("San Francisco")  # newest first
    assert ("2 memories (1 of your own words, 1 replaced shown with --all)") in out

    out = plain(run(os1, "list", "--all")[0])
    assert "stop thinking" in out
    local = memory.clock.now().astimezone()
    assert f"Theodore lives in Los Angeles. (replaced {local.day} {local:%b %Y}: Theodore said " \
           "he moved)" in out

    listed = as_json(os1, "list")
    assert [m["id"] for m in listed] == [friend, new]
    assert listed[0]["content"] == AMY and listed[0]["kind"] == "person"
    assert [m["id"] for m in as_json(os1, "list", "--all")] == [friend, moment, new, old]
    assert [m["id"] for m in as_json(os1, "list", "--kind", "moment")] == [moment]
    assert [m["id"] for m in as_json(os1, "list", "--all", "--limit", "1")] == [friend]

    _, err, _ = run(os1, "list", "--kind", "gossip", ok=False)
    assert "There's no kind of memory called 'gossip'." in plain(err)


def test_search_finds_by_meaning_and_by_words(os1, embedder):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        catherine = memory.add(kind="person", content=CATHERINE, about="Catherine",
                               topic="ex-wife")
        memory.add(kind="person", content=AMY, about="Amy", topic="friend")
        letters = memory.add(kind="fact", content=LETTERS, about="Theodore", topic="job")

    hits = as_json(os1, "search", "who was I married to")
    assert hits and hits[0]["id"] == catherine, hits
    assert hits[0]["similarity"] > 0.3 and hits[0]["keyword"] == 0  # by meaning, no word shared
    out, _, _ = run(os1, "search", "letters")
    out = plain(out)
    assert "score" in out and LETTERS in out and CATHERINE not in out
    assert f" {letters} fact" in out


def test_show_tells_the_whole_story_and_nothing_of_other_people(os1, embedder):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        catherine = memory.add(kind="person", content=CATHERINE, about="Catherine",
                               topic="ex-wife", importance=0.8)
        amy = memory.add(kind="person", content=AMY, about="Amy", topic="friend")
        reflection = memory.add(kind="reflection", content="Theodore still grieves his marriage "
                                "and leans on old friends.", sources=[catherine, amy],
                                origin="reflection")
    with memory_of(os1.db, embedder, handle="someone-else") as other:
        secret = other.add(kind="fact", content="Paul is secretly writing a novel.")

    out = plain(run(os1, "show", str(reflection))[0])
    assert f"drawn from #{catherine}: {CATHERINE}" in out and f"drawn from #{amy}: {AMY}" in out
    out = plain(run(os1, "show", str(catherine))[0])
    assert f"memory #{catherine}" in out and "kind person" in out and "topic ex-wife" in out
    assert "importance 0.80" in out and "status valid" in out
    assert f"reflected in #{reflection}" in out

    for unknown, args in ((999, ["show", "999"]), (secret, ["show", str(secret)]),
                          (secret, ["edit", str(secret), "mine now"]),
                          (secret, ["forget", "--yes", str(secret)])):
        out, err, _ = run(os1, *args, ok=False)
        shown = plain(out + err)
        assert f"No memory #{unknown}." in shown
        assert "os1 memory list" in shown
        assert "novel" not in shown
    assert sql(os1.db, "SELECT content FROM memories WHERE id = ?", secret) == [
        ("Paul is secretly writing a novel.",)]


def test_edit_replaces_the_text_and_what_it_is_found_by(os1, embedder):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        catherine = memory.add(kind="person", content=CATHERINE, about="Catherine",
                               topic="ex-wife")
        memory.add(kind="fact", content=LETTERS, about="Theodore", topic="job")
    vector_before = sql(os1.db, "SELECT vector FROM memory_vectors WHERE memory_id = ?", catherine)

    out, _, _ = run(os1, "edit", str(catherine), "Theodore's ex-wife is called Kate; she is a "
                    "writer.")
    assert f"#{catherine} now reads: Theodore's ex-wife is called Kate" in plain(out)
    assert sql(os1.db, "SELECT content, origin FROM memories WHERE id = ?", catherine) == [
        ("Theodore's ex-wife is called Kate; she is a writer.", "told")]
    assert sql(os1.db, "SELECT vector FROM memory_vectors WHERE memory_id = ?",
               catherine) != vector_before  # re-embedded
    assert fts_rows(os1.db, "content:catherine") == []  # (it's still about Catherine)
    assert fts_rows(os1.db, "content:kate") == [(catherine,)]
    assert [h["id"] for h in as_json(os1, "search", "Kate")][:1] == [catherine]

    # Without the text: $EDITOR opens on the current one; leaving it empty changes nothing.
    env = dict(os1.env, VISUAL="", EDITOR="sed -i s/writer/painter/")
    run(os1, "edit", str(catherine), env=env)
    assert sql(os1.db, "SELECT content FROM memories WHERE id = ?", catherine) == [
        ("Theodore's ex-wife is called Kate; she is a painter.",)]
    out, _, _ = run(os1, "edit", str(catherine), env=dict(os1.env, VISUAL="", EDITOR="truncate -s 0"))
    assert "Nothing changed." in out
    assert sql(os1.db, "SELECT content FROM memories WHERE id = ?", catherine) == [
        ("Theodore's ex-wife is called Kate; she is a painter.",)]


def test_forget_deletes_the_memory_everywhere_it_was(os1, embedder):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        catherine = memory.add(kind="person", content=CATHERINE, about="Catherine",
                               topic="ex-wife")
        amy = memory.add(kind="person", content=AMY, about="Amy", topic="friend")
        reflection = memory.add(kind="reflection", content="Theodore still misses Catherine.",
                                sources=[catherine], origin="reflection")
        conversation = memory.store.current_conversation(memory.user_id, memory.persona.id)
        note = memory.store.add_message(
            memory.user_id, conversation, role="event", source="memory",
            content="(os1 memory)\n- Catherine\n- Amy",
            meta={"kind": "recall", "memory_ids": [catherine, amy],
                  "lines": [f"- {CATHERINE}", f"- {AMY}"]})
    cache = os1.home / "cache"
    cache.mkdir()
    (cache / "model-1-4096.kvstate").write_bytes(b"Catherine" * 100)

    out, _, _ = run(os1, "forget", str(catherine), "--yes")
    out = plain(out)
    assert CATHERINE in out and "Theodore still misses Catherine." in out  # what goes, shown
    assert "Forgotten: 2 memories, for good." in out
    assert sql(os1.db, "SELECT id FROM memories ORDER BY id") == [(amy,)]
    assert sql(os1.db, "SELECT memory_id FROM memory_vectors") == [(amy,)]
    assert sql(os1.db, "SELECT count(*) FROM memory_sources") == [(0,)]
    assert fts_rows(os1.db, "catherine") == []
    assert not sql(os1.db, "SELECT id FROM memories WHERE id = ?", reflection)
    [(content, meta)] = sql(os1.db, "SELECT content, meta FROM messages WHERE id = ?", note)
    assert "Catherine" not in content and json.loads(meta)["memory_ids"] == [amy]
    assert list(cache.iterdir()) == []


def test_forget_asks_first_and_refuses_without_a_terminal(os1, embedder):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        catherine = memory.add(kind="person", content=CATHERINE)

    _, err, _ = run(os1, "forget", str(catherine), ok=False)
    assert "Nothing was forgotten" in plain(err) and "--yes" in plain(err)
    _, err, _ = run(os1, "forget", ok=False)
    assert "Say what to forget" in plain(err)
    assert sql(os1.db, "SELECT id FROM memories") == [(catherine,)]

    child = os1.spawn("memory", "forget", str(catherine))
    expect(child, "Forget 1 memory for good? [y/N]:")
    child.sendline("n")
    expect(child, "Nothing was forgotten.")
    assert finish(child) == 0
    assert sql(os1.db, "SELECT id FROM memories") == [(catherine,)]

    child = os1.spawn("memory", "forget", "--all")
    expect(child, "Forget 1 memory for good? [y/N]:")
    child.sendline("y")
    expect(child, "Forgotten: 1 memory, for good.")
    assert finish(child) == 0, transcript(child)
    assert sql(os1.db, "SELECT count(*) FROM memories") == [(0,)]


def test_forget_about_a_topic(os1, embedder):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        memory.add(kind="person", content=CATHERINE, about="Catherine", topic="ex-wife")
        old = memory.add(kind="plan", content="Theodore will sign the divorce papers with "
                         "Catherine on Friday.", topic="divorce")
        new = memory.add(kind="event", content="Theodore signed the divorce papers with "
                         "Catherine.", topic="divorce")
        memory.memories.supersede(memory.user_id, old, new_id=new, at=memory.clock.now(),
                                  reason="signed")
        amy = memory.add(kind="person", content=AMY, about="Amy", topic="friend")

    out, _, _ = run(os1, "forget", "--about", "Catherine", "--yes")
    assert "Forgotten: 3 memories, for good." in plain(out)  # the replaced one too
    assert sql(os1.db, "SELECT id FROM memories") == [(amy,)]
    out, _, _ = run(os1, "forget", "--about", "Catherine", "--yes")
    assert "Nothing about Catherine to forget." in plain(out)


def comparable(export: dict[str, Any]) -> list[dict[str, Any]]:
    """An export's memories without their ids (references by content instead)."""
    content = {m["id"]: m["content"] for m in export["memories"]}
    out = []
    for m in export["memories"]:
        entry = {k: v for k, v in m.items() if k not in ("id", "superseded_by", "sources")}
        entry["superseded_by"] = content.get(m["superseded_by"])
        entry["sources"] = sorted(content[i] for i in m.get("sources", []))
        out.append(entry)
    return sorted(out, key=lambda e: (e["content"], e["learned_at"]))


def test_export_and_import_round_trip(os1, embedder, tmp_path):
    seed_persona(os1.db, user_name="Theodore")
    with memory_of(os1.db, embedder) as memory:
        old = memory.add(kind="fact", content="Theodore lives in Los Angeles.", about="Theodore",
                         topic="home city")
        new = memory.add(kind="fact", content="Theodore lives in San Francisco.",
                         about="Theodore", topic="home city", importance=0.9)
        memory.memories.supersede(memory.user_id, old, new_id=new, at=memory.clock.now(),
                                  reason="Theodore said he moved")
        catherine = memory.add(kind="person", content=CATHERINE, about="Catherine")
        memory.add(kind="reflection", content="Theodore is starting over.", origin="reflection",
                   sources=[new, catherine])
        memory.add(kind="moment", content="Ünïcode and “quotes” survive", origin="moment")

    target = tmp_path / "memories.json"
    out, _, _ = run(os1, "export", str(target))
    assert f"Exported 5 memories to {target}" in plain(out)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    first = json.loads(target.read_text())
    assert first["format"] == "os1-memory-export" and len(first["memories"]) == 5

    elsewhere = Os1(dict(os1.env, OS1_HOME=str(tmp_path / "elsewhere")))
    seed_persona(elsewhere.db, user_name="Theodore")
    out, _, _ = run(elsewhere, "import", str(target))
    assert "Imported 5 memories." in plain(out)
    again, _, _ = run(elsewhere, "export")  # stdout: plain JSON
    assert comparable(json.loads(again)) == comparable(first)
    # Imported memories are found by meaning too (they were embedded on the way in).
    assert sql(elsewhere.db, "SELECT count(*) FROM memory_vectors") == [(5,)]

    out, _, _ = run(elsewhere, "import", str(target))
    assert "Imported 0 memories; 5 already known, skipped." in plain(out)
    assert sql(elsewhere.db, "SELECT count(*) FROM memories") == [(5,)]


def test_import_refuses_what_isnt_an_export(os1, tmp_path):
    seed_persona(os1.db, user_name="Theodore")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "os1-memory-export",\n  "memories": [\n    {"kind": }\n]}')
    _, err, _ = run(os1, "import", str(broken), ok=False)
    assert f"{broken} isn't valid JSON: Expecting value at line 3, column 14." in plain(err)

    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}')
    _, err, _ = run(os1, "import", str(other), ok=False)
    assert "That file isn't an os1 memory export." in plain(err)
    assert "os1 memory export FILE" in plain(err)

    _, err, _ = run(os1, "import", str(tmp_path / "missing.json"), ok=False)
    assert "Couldn't read" in plain(err) and "No such file or directory" in plain(err)
    assert sql(os1.db, "SELECT count(*) FROM memories") == [(0,)]


def said(db: Path, embedder: Embedder, text: str) -> int:
    with memory_of(db, embedder) as memory:
        conversation = memory.store.current_conversation(memory.user_id, memory.persona.id)
        return memory.store.add_message(memory.user_id, conversation, role="user",
                                        source="user", content=text)


def test_learn_now_from_a_waiting_message(os1, embedder, model_server):
    seed_persona(os1.db, user_name="Theodore")
    message = said(os1.db, embedder, "Amy came over tonight, she's my oldest friend.")
    model_server.learning.append(json.dumps({"memories": [
        {"kind": "person", "about": "Amy", "topic": "friend", "text": AMY, "when": "",
         "importance": 4}]}))

    out, _, _ = run(os1, "learn")
    assert "Learned from 1 message: 1 new memory." in plain(out)
    assert sql(os1.db, "SELECT kind, about, topic, content, message_id FROM memories") == [
        ("person", "Amy", "friend", AMY, message)]
    assert sql(os1.db, "SELECT status, attempts FROM episodes") == [("done", 0)]
    assert "Amy came over tonight" in json.dumps(model_server.requests[0]["messages"])
    assert AMY in plain(run(os1, "list")[0])
    assert "Nothing waiting to be learned from." in plain(run(os1, "learn")[0])


def test_learn_keeps_a_message_the_model_failed_on(os1, embedder, model_server):
    seed_persona(os1.db, user_name="Theodore")
    said(os1.db, embedder, "My sister Maya is visiting next weekend.")
    model_server.learning.append("not json")

    out, err, _ = run(os1, "learn", ok=False)
    assert "Learned from 0 messages" in plain(out)
    assert "1 message couldn't be learned from yet (the model didn't return JSON ('not json'))" \
        in plain(err)
    assert "Nothing is lost" in plain(err)
    assert sql(os1.db, "SELECT status, attempts FROM episodes") == [("failing", 1)]
    assert sql(os1.db, "SELECT count(*) FROM memories") == [(0,)]
    assert sql(os1.db, "SELECT content FROM messages WHERE role = 'user'") == [
        ("My sister Maya is visiting next weekend.",)]
    out = plain(run(os1, "list")[0])
    assert "0 memories · 1 failing (retried automatically; 'os1 memory learn' to try now)" in out

    # Trying again now (not waiting for the retry time) with a model that answers.
    model_server.learning.append(json.dumps({"memories": [
        {"kind": "person", "about": "Maya", "topic": "sister", "text": "Maya is Theodore's "
         "sister.", "when": "", "importance": 3}]}))
    out, _, _ = run(os1, "learn")
    assert "Learned from 1 message: 1 new memory." in plain(out)
    assert sql(os1.db, "SELECT status, attempts FROM episodes") == [("done", 1)]


def test_ctrl_c_while_learning_leaves_the_message_waiting(os1, embedder, model_server):
    seed_persona(os1.db, user_name="Theodore")
    said(os1.db, embedder, "I've been writing letters all week and I love it.")
    model_server.learning.append(HANG)

    child = os1.spawn("memory", "learn")
    wait_for(lambda: len(model_server.requests) == 1, "the model to be asked")
    child.sendintr()
    expect(child, "Stopped. The messages not learned from yet are still waiting; nothing is lost.")
    assert finish(child) == 130
    assert "Traceback" not in transcript(child)
    assert sql(os1.db, "SELECT status, attempts FROM episodes") == [("pending", 0)]
    assert "1 message waiting to be learned from" in plain(run(os1, "list")[0])


def _chat_requests(model_server) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    from tests.fakes.openai_server import is_background

    return [r for r in model_server.requests if not is_background(r)]


def test_in_the_chat_what_it_remembers_reaches_the_model(os1, embedder, model_server):
    seed_persona(os1.db, user_name="Theo")
    with memory_of(os1.db, embedder) as memory:
        memory.add(kind="person", content=AMY, about="Amy", topic="friend", importance=0.8)
        memory.add(kind="fact", content=LETTERS, topic="job")
    model_server.replies += ["Welcome back, Theo.", "Have a lovely time with her."]
    child = os1.spawn()
    prompt(child)
    child.sendline("I'm seeing Amy tonight, I haven't seen her in ages.")
    expect(child, "Have a lovely time with her.")
    prompt(child)
    child.sendline("what do you know about me?")
    expect(child, "Here's what I know about you")
    expect(child, "Amy is Theodore's oldest friend.")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0
    reply_request = request_text(_chat_requests(model_server)[1])
    assert AMY in reply_request and "Private notes from your memory" in reply_request
    assert LETTERS not in reply_request  # only what matters now
    notes = sql(os1.db, "SELECT role, source FROM messages WHERE source = 'memory'")
    assert notes == [("event", "memory")]


def test_kill_9_while_learning_in_the_background_loses_nothing(os1, embedder, model_server):
    import signal

    seed_persona(os1.db, user_name="Theo")
    model_server.replies += ["Welcome back, Theo.", "Congratulations on the new flat!"]
    model_server.learning.append(HANG)  # the learner is stuck mid-extraction when os1 dies
    env = dict(os1.env, OS1_MEMORY_IDLE_SECONDS="0")
    child = os1.spawn(env=env)
    prompt(child)
    child.sendline("I just moved into a flat in Bristol with my partner Sam.")
    expect(child, "Congratulations on the new flat!")
    wait_for(lambda: len(model_server.requests) == 3, "the background learner to ask the model")
    child.kill(signal.SIGKILL)
    child.close()
    assert sql(os1.db, "SELECT status, attempts FROM episodes") == [("pending", 0)]
    assert ("user", "complete", "I just moved into a flat in Bristol with my partner Sam.") in \
        messages(os1.db)
    # The person's words and the partner's name were kept before learning even started.
    assert ("person", "Sam") in sql(os1.db, "SELECT kind, about FROM memories")

    model_server.learning.append(json.dumps({"memories": [
        {"kind": "fact", "about": "Theo", "topic": "home city", "text": "Theo lives in Bristol.",
         "when": "", "importance": 4}]}))
    out, _, _ = run(os1, "learn")
    assert "Learned from 1 message: 1 new memory." in plain(out)
    assert sql(os1.db, "SELECT status FROM episodes") == [("done",)]
