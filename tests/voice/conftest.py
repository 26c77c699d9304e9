"""Voice tests: the real VAD, Whisper and Piper; speech made by espeak-ng; only the chat model
is scripted. Fed in real time through a simulated room (os1.voice.transports.Room)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from os1.errors import ModelError
from os1.voice.session import VoiceSession
from os1.voice.transports import Room

MODELS = Path.home() / ".cache" / "os1" / "models"


@pytest.fixture(scope="session")
def stt() -> Any:
    try:
        from os1.voice.stt import load_stt

        return load_stt("tiny.en", MODELS)
    except (ModelError, ImportError) as exc:
        pytest.skip(f"speech-to-text isn't installed: {exc}")


@pytest.fixture(scope="session")
def tts() -> Any:
    try:
        from os1.voice.tts import load_tts

        return load_tts("male")
    except (ModelError, ImportError) as exc:
        pytest.skip(f"the Piper voice isn't installed: {exc}")


@pytest.fixture
def vad() -> Any:
    try:
        from os1.voice.vad import SileroVad

        return SileroVad()
    except (ModelError, ImportError) as exc:
        pytest.skip(f"the VAD isn't installed: {exc}")


Script = Callable[[VoiceSession, Room], Awaitable[None]]


def converse(session: VoiceSession, room: Room, script: Script, *, timeout: float = 60) -> None:
    """Run the session while ``script`` plays the person's part; then hang up and let the
    session finish what it was doing."""

    async def main() -> None:
        listening = asyncio.create_task(session.run())
        try:
            await asyncio.wait_for(script(session, room), timeout)
        finally:
            room.close()
            await asyncio.wait_for(listening, timeout)

    asyncio.run(main())


async def wait_for(session: VoiceSession, kind: str, *, after: int = 0,
                   timeout: float = 30) -> Any:  # noqa: ASYNC109 (a test helper's deadline)
    """The first event of ``kind`` (from index ``after``), waiting for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for event in session.events[after:]:
            if event.kind == kind:
                return event
        await asyncio.sleep(0.02)
    seen = [(e.kind, e.text[:40]) for e in session.events if e.kind != "reply_text"]
    raise AssertionError(f"no {kind!r} event within {timeout} s; saw {seen}")


async def until_idle(session: VoiceSession, *, timeout: float = 40) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await asyncio.sleep(0.3)
    while loop.time() < deadline:
        if session.idle():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still busy after {timeout} s: {[e.kind for e in session.events]}")
