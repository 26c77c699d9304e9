"""os1's storage on a real PostgreSQL (tests/services starts a throwaway cluster).

The same repositories run on SQLite everywhere else in the suite; here they run against
PostgreSQL, whose server time zone is deliberately not UTC, and which enforces what SQLite
lets pass (column lengths, NUL characters, the full-text query syntax, concurrent starts).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import psycopg
import pytest
from sqlalchemy import Engine, event, inspect, text

from os1.companion import Companion
from os1.emotion.mood import MoodStore, days, trend
from os1.emotion.service import EmotionService
from os1.errors import StorageError
from os1.events import Done, Emotion
from os1.memory.factory import build_memory
from os1.memory.store import MemoryStore
from os1.persona.model import Persona, Traits
from os1.store import Store, open_engine
from os1.store.engine import database_label, explain_postgres_error
from os1.store.migrations import MIGRATIONS, latest_version
from tests.conftest import FakeClock
from tests.fakes.backend import FakeBackend
from tests.fakes.emotion import KeywordClassifier
from tests.services import free_port
from tests.services.postgres import PostgresServer


@pytest.fixture
def engine(pg_url: str, clock: FakeClock) -> Iterator[Engine]:
    engine = open_engine(pg_url, clock)
    yield engine
    engine.dispose()


@pytest.fixture
def pg(engine: Engine, clock: FakeClock, pg_url: str) -> Store:
    return Store(engine, clock, label=pg_url)


def make_persona(store: Store, handle: str, name: str = "Iris") -> Persona:
    user_id = store.ensure_user(handle)
    return store.create_persona(
        user_id, name=name, name_story="I read a book of names and liked this one best.",
        user_name="Theodore", voice="female",
        traits=Traits(warmth=0.8, humour=0.6, curiosity=0.7, directness=0.5),
        answers={"user_name": "Theodore", "voice": "female"})


def sql(engine: Engine, statement: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(statement), params))


# -- opening and migrating --------------------------------------------------------------------

def test_migrations_from_empty_then_nothing_on_the_second_open(pg_url: str, clock: FakeClock) -> None:
    engine = open_engine(pg_url, clock)
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    assert engine.pool.size() == 10  # type: ignore[attr-defined]
    first = sql(engine, "SELECT version, applied_at FROM schema_migrations ORDER BY version")
    assert [row[0] for row in first] == [v for v, _, _ in MIGRATIONS]
    engine.dispose()
    clock.advance(hours=1)
    # postgres:// (Heroku-style) means the same thing.
    again = open_engine(pg_url.replace("postgresql://", "postgres://", 1), clock)
    assert sql(again, "SELECT version, applied_at FROM schema_migrations ORDER BY version") == first
    indexes = {i["name"] for i in inspect(again).get_indexes("memories")}
    assert {"ix_memories_owner_message", "ix_memories_owner_slot_lower"} <= indexes
    again.dispose()


def test_server_processes_starting_together_migrate_once(pg_url: str, clock: FakeClock) -> None:
    engines: list[Engine] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            engines.append(open_engine(pg_url, clock))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    rows = sql(engines[0], "SELECT version FROM schema_migrations ORDER BY version")
    assert [row[0] for row in rows] == [v for v, _, _ in MIGRATIONS]
    for engine in engines:
        engine.dispose()


def test_a_newer_schema_is_refused(engine: Engine, pg_url: str, clock: FakeClock) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_migrations VALUES (:v, 'future', now())"),
                     {"v": latest_version() + 1})
    with pytest.raises(StorageError, match="newer os1"):
        open_engine(pg_url, clock)


# -- errors a person can act on, never with the password --------------------------------------

SECRET = "n0t-Th3-pAssw0rd"


def assert_no_secret(info: pytest.ExceptionInfo[StorageError], caplog: pytest.LogCaptureFixture,
                     secret: str = SECRET) -> None:
    chain: list[BaseException] = []
    exc: BaseException | None = info.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    for link in chain:
        assert secret not in str(link) and secret not in repr(link)
    assert secret not in caplog.text


def test_wrong_password(postgres_server: PostgresServer, pg_url: str, clock: FakeClock,
                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    database = pg_url.rsplit("/", 1)[1]
    with pytest.raises(StorageError) as info:
        open_engine(postgres_server.url(database, password=SECRET), clock)
    assert "wrong password" in info.value.what and "OS1_DATABASE_URL" in info.value.fix
    assert_no_secret(info, caplog)


def test_missing_database(postgres_server: PostgresServer, clock: FakeClock,
                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as info:
        open_engine(postgres_server.url("os1_nowhere"), clock)
    assert "os1_nowhere doesn't exist" in info.value.what
    assert "createdb -O os1 os1_nowhere" in info.value.fix
    assert_no_secret(info, caplog, postgres_server.password)


def test_nothing_listening(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as info:
        open_engine(f"postgresql://os1:{SECRET}@127.0.0.1:{free_port()}/os1", clock)
    assert "can't reach PostgreSQL at 127.0.0.1:" in info.value.what
    assert "Start PostgreSQL" in info.value.fix
    assert_no_secret(info, caplog)


def test_a_malformed_url_is_not_repeated_with_its_password(clock: FakeClock,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(StorageError) as info:
        open_engine(f"postgresql://os1:{SECRET}@127.0.0.1:port/os1", clock)
    assert "can't read the database URL" in info.value.what and "***" in info.value.what
    assert_no_secret(info, caplog)


def test_a_database_it_does_not_own(postgres_server: PostgresServer, clock: FakeClock) -> None:
    """Since PostgreSQL 15 only the owner may create tables in ``public``: say so."""
    name = "os1_not_owned"
    with postgres_server.admin() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        with pytest.raises(StorageError) as info:
            open_engine(postgres_server.url(name), clock)
        assert "may not create" in info.value.what
        assert f"ALTER DATABASE {name} OWNER TO os1" in info.value.fix
    finally:
        postgres_server.drop_database(name)


def test_disk_full_and_lost_connections_are_explained() -> None:
    label = "postgresql://os1@db.example:5432/os1"
    full = explain_postgres_error(psycopg.errors.DiskFull("could not extend file"), label)
    assert "disk" in full.what and "full" in full.what and "Free some space" in full.fix
    gone = explain_postgres_error(psycopg.errors.AdminShutdown("terminating connection"), label)
    assert "db.example:5432" in gone.what and "lost" in gone.what
    busy = explain_postgres_error(psycopg.errors.TooManyConnections("too many clients"), label)
    assert "no free connections" in busy.what


def test_the_label_never_carries_the_password(pg_url: str, postgres_server: PostgresServer,
                                              clock: FakeClock) -> None:
    label = database_label(pg_url)
    assert postgres_server.password not in label and "os1@127.0.0.1" in label
    engine = open_engine(pg_url, clock)
    store = Store(engine, clock, label=pg_url)
    assert postgres_server.password not in str(store.label)
    engine.dispose()


def test_the_pool_survives_lost_connections_and_says_what_was_too_long(
        pg: Store, engine: Engine, postgres_server: PostgresServer) -> None:
    """A restarted server (or a proxy's idle timeout) drops the pooled connections: the pool
    notices (pre-ping) instead of failing the next request. PostgreSQL also enforces column
    lengths SQLite ignores; that comes out as a StorageError saying so."""
    alice = pg.ensure_user("alice")
    with postgres_server.admin() as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE usename = 'os1' AND pid <> pg_backend_pid()")
    assert pg.ensure_user("alice") == alice
    with pytest.raises(StorageError, match="too long"):
        pg.ensure_user("x" * 201)


# -- people, personas, genesis ----------------------------------------------------------------

def test_the_same_person_arriving_twice_at_once_is_one_user(pg: Store) -> None:
    ids: list[int] = []
    start = threading.Barrier(6)

    def arrive() -> None:
        start.wait()
        ids.append(pg.ensure_user("newcomer"))

    threads = [threading.Thread(target=arrive) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(ids) == 6 and len(set(ids)) == 1


def test_users_personas_and_genesis(pg: Store, engine: Engine, clock: FakeClock) -> None:
    alice = pg.ensure_user("alice")
    assert pg.ensure_user("alice") == alice and pg.ensure_user("bob") != alice
    assert pg.active_persona(alice) is None
    iris = make_persona(pg, "alice")
    assert iris.user_id == alice and iris.traits.warmth == 0.8
    assert iris.answers == {"user_name": "Theodore", "voice": "female"}
    # Read back in UTC although the test server runs in Asia/Kolkata (tests/services).
    assert iris.created_at == clock.now() and iris.created_at.utcoffset() == timedelta(0)
    clock.advance(days=1)
    wren = make_persona(pg, "alice", name="Wren")
    assert pg.active_persona(alice) == wren
    rows = sql(engine, "SELECT name, active, retired_at FROM personas ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [("Iris", False), ("Wren", True)]
    assert rows[0][2] == clock.now() and rows[1][2] is None

    pg.save_genesis_answer(alice, "user_name", "Theo")
    pg.save_genesis_answer(alice, "user_name", "Theodore")
    pg.save_genesis_answer(alice, "voice", "female")
    assert pg.genesis_answers(alice) == {"user_name": "Theodore", "voice": "female"}
    bob = pg.ensure_user("bob")
    assert pg.genesis_answers(bob) == {} and pg.active_persona(bob) is None
    pg.clear_genesis_answers(bob)
    assert len(pg.genesis_answers(alice)) == 2
    pg.clear_genesis_answers(alice)
    assert pg.genesis_answers(alice) == {}


# -- conversations, messages, summaries -------------------------------------------------------

def test_messages_add_list_finish_delete_redact(pg: Store, clock: FakeClock) -> None:
    persona = make_persona(pg, "alice")
    me = persona.user_id
    conv = pg.current_conversation(me, persona.id)
    assert pg.current_conversation(me, persona.id) == conv
    first = pg.add_message(me, conv, role="user", source="user", content="Hello 👋 it's me\x00")
    reply = pg.add_message(me, conv, role="assistant", source="companion", content="",
                           status="interrupted", meta={"reply_to": first})
    clock.advance(minutes=1)
    note = pg.add_message(me, conv, role="event", source="memory", content="(a note)",
                          meta={"memory_ids": [1, 2], "nested": {"ok": True}})
    assert first < reply < note  # ids come back from the insert (RETURNING)
    pg.finish_message(me, reply, content="Hi Theodore.", status="complete",
                      meta={"reply_to": first, "tokens": 3})

    listed = pg.messages(me, conv)
    assert [(m.id, m.role, m.content, m.status) for m in listed] == [
        (first, "user", "Hello 👋 it's me", "complete"),  # a NUL can't be stored: dropped
        (reply, "assistant", "Hi Theodore.", "complete"),
        (note, "event", "(a note)", "complete")]
    assert listed[1].meta == {"reply_to": first, "tokens": 3}
    assert listed[2].meta["nested"] == {"ok": True}
    assert listed[0].created_at == clock.now() - timedelta(minutes=1)
    assert listed[0].created_at.tzinfo is not None and listed[0].created_at.utcoffset() == timedelta(0)
    assert [m.id for m in pg.messages(me, conv, after_id=first)] == [reply, note]
    assert [m.id for m in pg.messages(me, conv, limit=2, newest_first=True)] == [note, reply]
    assert pg.message(me, reply) == listed[1]
    assert pg.message_text(me, first) == "Hello 👋 it's me"
    assert [n.id for n in pg.notes(me, source="memory")] == [note]
    assert pg.count_messages(me, conv) == 3

    pg.delete_message(me, note)
    assert pg.count_messages(me, conv) == 2
    pg.redact_exchange(me, first)
    after = pg.messages(me, conv)
    assert [m.content for m in after] == ["(forgotten at their request)"] * 2
    assert all("forgotten_at" in m.meta for m in after)
    assert after[1].meta["reply_to"] == first


def test_summaries(pg: Store) -> None:
    persona = make_persona(pg, "alice")
    conv = pg.current_conversation(persona.user_id, persona.id)
    assert pg.latest_summary(persona.user_id, conv) is None
    pg.add_summary(persona.user_id, conv, upto_message_id=4, content="They met.", method="model")
    pg.add_summary(persona.user_id, conv, upto_message_id=9, content="They talked.",
                   method="fallback")
    latest = pg.latest_summary(persona.user_id, conv)
    assert latest is not None and (latest.upto_message_id, latest.method) == (9, "fallback")
    bob = pg.ensure_user("bob")
    assert pg.latest_summary(bob, conv) is None


async def test_the_conversation_loop_with_emotion(pg: Store, clock: FakeClock) -> None:
    """The whole loop (messages, day markers, emotion reads and notes) on PostgreSQL."""
    persona = make_persona(pg, "alice")
    emotion = EmotionService(pg, clock, user_id=persona.user_id, user_name=persona.user_name,
                             classifier=KeywordClassifier())
    companion = Companion(store=pg, backend=FakeBackend(script=["I'm sorry. Tell me."]),
                          clock=clock, user_id=persona.user_id, persona=persona,
                          reply_tokens=128, emotion=emotion)
    events = [e async for e in companion.respond("I'm so sad today, I miss her")]
    assert isinstance(events[-1], Done)
    felt = next(e for e in events if isinstance(e, Emotion))
    said = [(m.role, m.content) for m in pg.messages(persona.user_id, companion.conversation_id)
            if m.role != "event"]
    assert said == [("user", "I'm so sad today, I miss her"), ("assistant", "I'm sorry. Tell me.")]
    reads = MoodStore(pg).latest(persona.user_id)
    assert [(r.message_id, r.dominant) for r in reads] == [(felt.message_id, "sadness")]


# -- memory -----------------------------------------------------------------------------------

NASTY = ["it's", "a & b | !c", ":*", "'", '"', "\"quoted\" 'words'", "", "   ", "!!!", "(", ")",
         "a:*", "lisbon:*", "lisbon & !", "<->", "<2>", "\\", "%", "_", "__init__", "o'brien",
         "naïve café", "日本語", "\x00", "DROP TABLE memories; --", "x' OR '1'='1", "&" * 500,
         "lisbon " * 100]


def test_keyword_search_takes_any_input(pg: Store) -> None:
    persona = make_persona(pg, "alice")
    memories = MemoryStore(pg)
    me = persona.user_id
    lisbon = memories.add(me, kind="fact", content="Theodore's sister Amy lives in Lisbon.",
                          about="Amy", topic="home city")
    brien = memories.add(me, kind="person", content="Mr O'Brien runs the café on the corner.",
                         about="O'Brien", topic="neighbour")
    for query in NASTY:
        found = memories.keyword_search(me, query)  # never raises
        assert all(score > 0 for _, score in found), query
    assert [i for i, _ in memories.keyword_search(me, "lisbon " * 100)] == [lisbon]
    assert [i for i, _ in memories.keyword_search(me, "o'brien")] == [brien]
    assert [i for i, _ in memories.keyword_search(me, "Where does Amy live?")] == [lisbon]
    # OR semantics: any word can match; more matching words rank higher.
    either = memories.keyword_search(me, "Lisbon café corner")
    assert [i for i, _ in either] == [brien, lisbon]
    # Stemming: "lives" is found by "living".
    assert [i for i, _ in memories.keyword_search(me, "living")] == [lisbon]
    assert memories.keyword_search(me, "the and of") == []


def test_keyword_search_is_answered_by_the_fulltext_index(pg: Store, engine: Engine) -> None:
    """The query's tsvector expression must be exactly the indexed one, or every search
    reads (and parses) all of a person's memories."""
    persona = make_persona(pg, "alice")
    memories = MemoryStore(pg)
    lisbon = memories.add(persona.user_id, kind="fact", content="Amy lives in Lisbon.")
    with engine.begin() as conn:  # a long memory, where only one row has the word
        conn.execute(text(
            "INSERT INTO memories (user_id, kind, about, topic, content, importance, learned_at, "
            "last_seen_at, times_seen, valid, origin) SELECT :user, 'fact', '', '', "
            "'note ' || g || ' about the weather', 0.5, now(), now(), 1, true, 'extracted' "
            "FROM generate_series(1, 3000) AS g"), {"user": persona.user_id})
        conn.exec_driver_sql("ANALYZE memories")
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ts_rank" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert [i for i, _ in memories.keyword_search(persona.user_id, "Lisbon Amy")] == [lisbon]
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[0]
    with engine.connect() as conn:
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_memories_fulltext" in plan, plan


def test_memories_add_find_update_and_forget(pg: Store, clock: FakeClock) -> None:
    persona = make_persona(pg, "alice")
    memories = MemoryStore(pg)
    me = persona.user_id
    vector = np.random.default_rng(7).standard_normal(384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    kolkata = timezone(timedelta(hours=5, minutes=30))
    dinner_at = datetime(2026, 3, 15, 20, 0, tzinfo=kolkata)
    home = memories.add(me, kind="fact", content="Amy lives in Lisbon.", vector=vector,
                        model="mini", about="Amy", topic="Home city", importance=0.4)
    dinner = memories.add(me, kind="plan", content="Dinner with Amy.", about="Amy",
                          happens_at=dinner_at, date_text="tomorrow at 8", importance=0.7)
    sister = memories.add(me, kind="person", content="Amy is Theodore's sister.", about="Amy",
                          topic="sister", importance=0.6)
    got = memories.get(me, dinner)
    assert got is not None and got.happens_at == dinner_at
    assert got.happens_at.utcoffset() == timedelta(0) and got.valid is True
    assert got.learned_at == clock.now() and got.importance == 0.7

    # The vector comes back bit for bit.
    ids, matrix = memories.vectors(me, "mini")
    assert ids.tolist() == [home] and matrix.dtype == np.float32
    assert np.array_equal(matrix[0], vector)
    assert [m.id for m in memories.missing_vectors(me, "mini")] == [dinner, sister]
    memories.set_vector(me, dinner, vector * 0.5, "mini")
    assert memories.vectors(me, "mini")[0].tolist() == [home, dinner]
    assert memories.vectors(me, "mini", after_id=home)[0].tolist() == [dinner]

    assert [m.id for m in memories.find(me)] == [sister, dinner, home]
    assert [m.id for m in memories.find(me, kinds=("fact", "plan"), newest_first=False)] == [home, dinner]
    assert [m.id for m in memories.find(me, limit=1, offset=1)] == [dinner]
    assert memories.count(me) == 3 and memories.count(me, kinds=("plan",)) == 1
    assert set(memories.many(me, [home, dinner, 999])) == {home, dinner}
    assert [m.id for m in memories.in_slot(me, "amy", "home city")] == [home]
    assert memories.names_for(me, ["sister"]) == ["Amy"]
    around = memories.happening_between(me, dinner_at - timedelta(hours=1),
                                        dinner_at + timedelta(hours=1))
    assert [m.id for m in around] == [dinner]
    assert memories.happening_between(me, dinner_at + timedelta(minutes=1),
                                      dinner_at + timedelta(days=1)) == []

    clock.advance(days=2)
    memories.reinforce(me, home, seen_at=clock.now(), importance=0.9)
    memories.reinforce(me, home, seen_at=clock.now(), importance=0.1)  # never lowers it
    again = memories.get(me, home)
    assert again is not None and (again.times_seen, again.importance) == (3, 0.9)
    assert again.last_seen_at == clock.now()

    porto = memories.add(me, kind="fact", content="Amy lives in Porto now.", about="Amy",
                         topic="home city")
    memories.supersede(me, home, new_id=porto, at=clock.now(), reason="She moved.")
    old = memories.get(me, home)
    assert old is not None and not old.valid and old.superseded_by == porto
    assert old.invalid_at == clock.now() and old.invalid_reason == "She moved."
    assert [m.id for m in memories.find(me, kinds=("fact",))] == [porto]
    assert {m.id for m in memories.find(me, kinds=("fact",), include_invalid=True)} == {home, porto}
    assert [i for i, _ in memories.keyword_search(me, "Lisbon")] == []
    assert [i for i, _ in memories.keyword_search(me, "Lisbon", include_invalid=True)] == [home]
    assert memories.count(me, include_invalid=False) == 3

    assert memories.edit(me, porto, content="Amy lives in Porto, near the river.", vector=None)
    assert [i for i, _ in memories.keyword_search(me, "river")] == [porto]
    assert memories.last_id(me, kinds=("fact",)) == porto
    assert [m.id for m in memories.since(me, dinner, kinds=("fact", "person"))] == [sister, porto]

    reflection = memories.add(me, kind="reflection", content="Amy matters to him.",
                              sources=[sister, porto], origin="reflection")
    assert sorted(memories.sources_of(me, reflection)) == [sister, porto]
    assert memories.reflections_citing(me, [porto]) == [reflection]
    # Forgetting the replacement brings back what it replaced, with the vector and links gone.
    assert sorted(memories.delete(me, [porto, reflection])) == [porto, reflection]
    back = memories.get(me, home)
    assert back is not None and back.valid and back.superseded_by is None
    assert memories.sources_of(me, reflection) == []
    assert [i for i, _ in memories.keyword_search(me, "river")] == []
    assert memories.vectors(me, "mini")[0].tolist() == [home, dinner]
    memories.delete(me, [home])
    assert memories.vectors(me, "mini")[0].tolist() == [dinner]
    memories.optimize_fulltext()  # a no-op here, and no error


def test_episodes_queue_fail_retry_and_finish(pg: Store, clock: FakeClock) -> None:
    persona = make_persona(pg, "alice")
    memories = MemoryStore(pg)
    me = persona.user_id
    conv = pg.current_conversation(me, persona.id)
    said = pg.add_message(me, conv, role="user", source="user", content="I adopted a cat.")
    pg.add_message(me, conv, role="assistant", source="companion", content="Lovely!",
                   meta={"reply_to": said})
    later = pg.add_message(me, conv, role="user", source="user", content="Her name is Mochi.")
    assert memories.enqueue_episodes(me, conv) == 2
    assert memories.enqueue_episodes(me, conv) == 0
    episode = memories.next_episode(me, clock.now())
    assert episode is not None and episode.message_id == said
    assert episode.occurred_at == clock.now() and episode.occurred_at.utcoffset() == timedelta(0)
    assert memories.episode_messages(me, episode)[:2] == ("I adopted a cat.", "Lovely!")
    memories.fail_episode(me, episode.id, error="timeout", retry_at=clock.now() + timedelta(minutes=1))
    nxt = memories.next_episode(me, clock.now())
    assert nxt is not None and nxt.message_id == later
    assert memories.episode_counts(me) == {"failing": 1, "pending": 1, "failed_attempts": 1}
    assert memories.retry_failing(me) == 1
    retried = memories.next_episode(me, clock.now())
    assert retried is not None and (retried.id, retried.attempts) == (episode.id, 1)
    memories.finish_episode(me, episode.id, status="done", learned=2)
    memories.skip_episodes_for(me, [later])
    assert memories.next_episode(me, clock.now()) is None
    before = memories.last_episode_before(me, conv, later)
    assert before is not None and before.id == episode.id and before.status == "done"
    learned = memories.add(me, kind="fact", content="Theodore has a cat.", episode_id=episode.id)
    moment = memories.add(me, kind="moment", content="Her name is Mochi.", message_id=later)
    assert sorted(memories.from_messages(me, [said, later])) == [learned, moment]


def test_memory_service_keyword_recall_and_forgetting(pg: Store, clock: FakeClock) -> None:
    persona = make_persona(pg, "alice")
    memory = build_memory(pg, clock, user_id=persona.user_id, persona=persona, embedder=None,
                          load=False)
    conv = pg.current_conversation(persona.user_id, persona.id)
    text_ = "My sister Amy is moving to Lisbon in June, and I'll miss her a lot."
    message = pg.add_message(persona.user_id, conv, role="user", source="user", content=text_)
    memory.note_exchange(conv, message, text_, clock.now())
    hits = memory.recall("When is Amy moving to Lisbon?")
    assert hits and "Lisbon" in hits[0].memory.content
    block = memory.recall_block("Lisbon", shown_messages=set(), shown_memories=set())
    assert block is not None and "Lisbon" in block.text
    assert memory.memories.names_for(persona.user_id, ["sister"]) == ["Amy"]
    forgotten = memory.forget_messages([message])
    assert forgotten and memory.recall("Lisbon") == []
    assert memory.memories.count(persona.user_id) == 0
    assert memory.memories.episode_counts(persona.user_id)["skipped"] == 1


# -- emotion ----------------------------------------------------------------------------------

def test_mood_reads_and_days(pg: Store, clock: FakeClock) -> None:
    persona = make_persona(pg, "alice")
    me = persona.user_id
    moods = MoodStore(pg)
    classifier = KeywordClassifier()
    conv = pg.current_conversation(me, persona.id)
    start = clock.now()
    texts = ["I'm sad", "so sad", "sad again", "I'm happy", "happy, thank you", "wow, happy"]
    ids = []
    for i, said in enumerate(texts):
        at = start - timedelta(days=13) + timedelta(days=i * 2.4)
        message = pg.add_message(me, conv, role="user", source="user", content=said)
        moods.add(me, message, classifier.read([said])[0], at=at, model="keywords")
        ids.append(message)
    assert moods.count(me) == 6
    reads = moods.between(me, start - timedelta(days=14), start + timedelta(seconds=1))
    assert [r.message_id for r in reads] == ids
    assert reads[0].created_at == start - timedelta(days=13)
    assert reads[0].created_at.utcoffset() == timedelta(0)
    assert reads[0].dominant == "sadness" and reads[0].labels[0] == "sadness"
    assert isinstance(reads[0].scores["sadness"], float) and reads[0].source == "text"
    assert [r.message_id for r in moods.latest(me, limit=2)] == [ids[5], ids[4]]
    timeline = days(reads)
    assert len(timeline) == 6 and timeline[0].valence < 0 < timeline[-1].valence
    lighter = trend(reads, start)
    assert lighter is not None and lighter.direction == "lighter"

    pg.redact_exchange(me, ids[0])  # forgetting a message forgets its read
    assert moods.count(me) == 5
    assert moods.clear(me, before=start - timedelta(days=5)) == 3
    assert moods.count(me) == 2
    assert moods.clear(me) == 2


# -- one person's rows are never another's ----------------------------------------------------

def test_nothing_of_one_person_reaches_another(pg: Store, clock: FakeClock) -> None:
    alice_persona = make_persona(pg, "alice")
    alice = alice_persona.user_id
    bob = make_persona(pg, "bob", name="Wren").user_id
    conv = pg.current_conversation(alice, alice_persona.id)
    said = pg.add_message(alice, conv, role="user", source="user", content="My secret is Lisbon.")
    note = pg.add_message(alice, conv, role="event", source="memory", content="(note)")
    pg.add_summary(alice, conv, upto_message_id=said, content="A secret.", method="model")
    memories = MemoryStore(pg)
    vector = np.ones(8, dtype=np.float32) / np.sqrt(8)
    secret = memories.add(alice, kind="fact", content="Alice's secret is Lisbon.", vector=vector,
                          model="m", about="Alice", topic="secret", happens_at=clock.now())
    memories.add(alice, kind="person", content="Amy is Alice's sister.", about="Amy", topic="sister")
    memories.enqueue_episodes(alice, conv)
    moods = MoodStore(pg)
    moods.add(alice, said, KeywordClassifier().read(["I'm sad"])[0], at=clock.now(), model="k")

    # Bob reads nothing of Alice's...
    assert pg.messages(bob, conv) == [] and pg.message(bob, said) is None
    assert pg.message_text(bob, said) is None and pg.notes(bob, source="memory") == []
    assert pg.count_messages(bob, conv) == 0 and pg.latest_summary(bob, conv) is None
    assert memories.find(bob, include_invalid=True) == [] and memories.get(bob, secret) is None
    assert memories.many(bob, [secret]) == {} and memories.count(bob) == 0
    assert memories.keyword_search(bob, "secret Lisbon", include_invalid=True) == []
    assert memories.vectors(bob, "m")[0].size == 0 and memories.missing_vectors(bob, "m") == []
    assert memories.in_slot(bob, "Alice", "secret") == [] and memories.names_for(bob, ["sister"]) == []
    assert memories.happening_between(bob, clock.now() - timedelta(days=1),
                                      clock.now() + timedelta(days=1)) == []
    assert memories.from_messages(bob, [said]) == [] and memories.last_id(bob, kinds=("fact",)) == 0
    assert memories.next_episode(bob, clock.now()) is None
    assert memories.episode_counts(bob) == {"failed_attempts": 0}
    assert moods.latest(bob) == [] and moods.count(bob) == 0
    assert moods.between(bob, clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)) == []
    with pytest.raises(PermissionError):
        pg.add_message(bob, conv, role="user", source="user", content="intrusion")

    # ...and changes nothing of Alice's.
    pg.finish_message(bob, said, content="overwritten", status="complete")
    pg.delete_message(bob, note)
    pg.redact_exchange(bob, said)
    assert memories.delete(bob, [secret]) == []
    memories.reinforce(bob, secret, seen_at=clock.now(), importance=1.0)
    assert not memories.edit(bob, secret, content="overwritten", vector=None)
    memories.supersede(bob, secret, new_id=secret, at=clock.now(), reason="no")
    memories.set_superseded_by(bob, secret, 1)
    memories.skip_episodes_for(bob, [said])
    assert memories.retry_failing(bob) == 0
    assert moods.clear(bob) == 0
    assert [m.content for m in pg.messages(alice, conv)] == ["My secret is Lisbon.", "(note)"]
    kept = memories.get(alice, secret)
    assert kept is not None and kept.valid and kept.superseded_by is None
    assert (kept.content, kept.times_seen, kept.importance) == ("Alice's secret is Lisbon.", 1, 0.5)
    assert memories.vectors(alice, "m")[0].tolist() == [secret]
    assert memories.episode_counts(alice)["pending"] == 1 and moods.count(alice) == 1
