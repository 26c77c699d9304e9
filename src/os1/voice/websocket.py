"""The ``Transport`` protocol over a WebSocket: a browser's microphone and speaker.

The page sends its microphone as binary frames (16-bit mono PCM at its own rate) and plays
what comes back (16-bit mono PCM at 22,050 Hz) gaplessly, in order. Playback happens on the
far side of a network, so this transport keeps an *estimated* account: audio sent at time t
starts when what was sent before it ends (or at t, after a gap) and plays in real time. It
sends only about half a second ahead of that estimate, so "stop" (``audio_clear``) silences
the page at once and the session still knows, to within a few tens of milliseconds, which
words the person heard. The server's WebSocket (``os1.server.voice``) drives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from os1.voice.audio import as_float32, resample, rms

log = logging.getLogger(__name__)

OUTPUT_RATE = 22_050  # what the page plays (docs/server-api.md)
CHUNK_S = 0.1  # audio goes out in frames this long
AHEAD_S = 0.5  # ... at most this far ahead of where the page is playing
START_DELAY_S = 0.05  # the page starts a frame a little after it arrives, after a gap
LEVEL_WINDOW_S = 0.4  # output_level: the loudest of what played this recently
MAX_BACKLOG_S = 30.0  # microphone audio waiting for the listener; beyond it, frames are dropped

SendJson = Callable[[dict[str, Any]], Awaitable[None]]
SendBytes = Callable[[bytes], Awaitable[None]]
_END_OF_TURN = object()  # in the microphone queue: the person let go of the button here


@dataclass
class _Sent:
    """A frame of audio sent to the page, and when the page (we estimate) plays it."""

    start: float  # monotonic seconds
    pos: int  # its first sample on the queued/played timeline
    pcm: np.ndarray  # int16

    def end(self, rate: int) -> float:
        return self.start + self.pcm.size / rate


class WebSocketTransport:
    """The ``Transport`` protocol over a WebSocket (see the module docstring).

    Microphone: ``feed(bytes)`` as frames arrive, ``end_of_turn()`` when push-to-talk is let
    go, ``close_input()`` when voice ends. Speaker: ``play()`` queues; one sender task sends
    everything this transport says (audio, ``audio_clear``, ``speaking``, and the voice
    frames handed to ``notify``) in order, pacing the audio. ``start()`` it inside the event
    loop; ``aclose()`` it at the end.
    """

    def __init__(self, send_json: SendJson, send_bytes: SendBytes, *, input_rate: int,
                 output_rate: int = OUTPUT_RATE, chunk_s: float = CHUNK_S,
                 ahead_s: float = AHEAD_S) -> None:
        self.input_rate = input_rate
        self.output_rate = output_rate
        self.chunk = max(1, int(round(output_rate * chunk_s)))
        self.ahead_s = ahead_s
        self.on_end_of_turn: Callable[[], None] | None = None
        self._send_json = send_json
        self._send_bytes = send_bytes
        # The microphone side.
        self._mic: asyncio.Queue[Any] = asyncio.Queue()
        self._backlog = 0  # samples waiting in _mic
        self._carry = b""  # an odd byte: a frame may split a sample
        self._input_closed = False
        # The speaker side: positions are samples on the queued/played timeline.
        self._pending: deque[np.ndarray] = deque()  # int16 frames not sent yet, in order
        self._sent: deque[_Sent] = deque()  # sent, not (by the estimate) all played yet
        self._history: deque[tuple[float, int, int]] = deque(maxlen=1024)  # (start, pos, n)
        self._levels: deque[tuple[float, float, float]] = deque(maxlen=64)  # (start, end, rms)
        self._queued = 0
        self._sent_pos = 0  # where the next frame sent starts
        self._played_done = 0  # everything before this has played
        self._play_end = 0.0  # when the page will have played all it was sent
        self._paused = False
        self._speaking = False
        self._control: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self._sender: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_loop(), name="os1-voice-sender")

    async def aclose(self) -> None:
        """Stop: what's queued is dropped; frames already said (an error, say) still go."""
        self.close_input()
        self._drop_pending()
        if self._speaking:
            self._speaking = False
            self._control.append({"type": "speaking", "on": False})
        self._closed = True
        self._kick()
        sender = self._sender
        if sender is not None:
            done, _ = await asyncio.wait({sender}, timeout=1.0)
            if not done:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sender

    # -- the microphone ---------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """A binary frame from the page: 16-bit little-endian mono PCM at ``input_rate``."""
        if self._input_closed:
            return
        data = self._carry + data
        cut = len(data) - len(data) % 2
        self._carry = data[cut:]
        if not cut:
            return
        samples = np.frombuffer(data[:cut], dtype="<i2").astype(np.float32) / 32768.0
        if self._backlog + samples.size > MAX_BACKLOG_S * self.input_rate:
            log.warning("voice: the listener is %.0f s behind; dropping microphone audio",
                        self._backlog / self.input_rate)
            return
        self._backlog += samples.size
        self._mic.put_nowait(samples)

    def end_of_turn(self) -> None:
        """The person let go of the push-to-talk button: their turn ends after what came
        before this."""
        if not self._input_closed:
            self._mic.put_nowait(_END_OF_TURN)

    def close_input(self) -> None:
        if not self._input_closed:
            self._input_closed = True
            self._mic.put_nowait(None)

    async def frames(self) -> AsyncIterator[np.ndarray]:
        while True:
            item = await self._mic.get()
            if item is None:
                return
            if item is _END_OF_TURN:
                if self.on_end_of_turn is not None:
                    self.on_end_of_turn()
                yield np.zeros(0, dtype=np.float32)  # lets the session act on it now
                continue
            self._backlog -= item.size
            yield item

    # -- the speaker ------------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic()

    def play(self, samples: np.ndarray, rate: int) -> None:
        if self._closed:
            return
        data = as_float32(samples)
        if rate != self.output_rate:
            data = resample(data, rate, self.output_rate)
        if data.size == 0:
            return
        pcm = (np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2")
        for i in range(0, pcm.size, self.chunk):
            self._pending.append(pcm[i:i + self.chunk])
        self._queued += pcm.size
        self._kick()

    def pause(self) -> None:
        """Silent now; what the page hadn't played yet is sent again on ``resume``."""
        if self._paused:
            return
        now = self.now()
        played = self._played_at(now)
        unplayed = [s.pcm[max(0, played - s.pos):] for s in self._sent if s.pos + s.pcm.size > played]
        self._pending.extendleft(reversed([p for p in unplayed if p.size]))
        self._cut(now, played)
        self._paused = True
        self._silence()

    def resume(self) -> None:
        self._paused = False
        self._kick()

    def clear(self) -> None:
        now = self.now()
        played = self._played_at(now)
        self._pending.clear()
        self._cut(now, played)
        self._queued = played
        self._paused = False
        self._silence()

    @property
    def queued_s(self) -> float:
        return self._queued / self.output_rate

    @property
    def played_s(self) -> float:
        return self._played_at(self.now()) / self.output_rate

    def output_level(self) -> float:
        now = self.now()
        return max((level for start, end, level in self._levels
                    if start <= now and end >= now - LEVEL_WINDOW_S), default=0.0)

    def when_played(self, position_s: float) -> float | None:
        sample = int(round(position_s * self.output_rate))
        for start, pos, size in reversed(self._history):
            if pos <= sample < pos + size:
                at = start + (sample - pos) / self.output_rate
                return at if at <= self.now() else None
        return None

    def notify(self, frame: dict[str, Any]) -> None:
        """Send a JSON frame in order with this transport's audio and notices."""
        if not self._closed:
            self._control.append(frame)
            self._kick()

    # -- the account ------------------------------------------------------------------------
    def _played_at(self, now: float) -> int:
        rate = self.output_rate
        while self._sent and self._sent[0].end(rate) <= now:
            done = self._sent.popleft()
            self._played_done = done.pos + done.pcm.size
        played = self._played_done
        if self._sent and now > self._sent[0].start:
            head = self._sent[0]
            played = head.pos + min(head.pcm.size, int((now - head.start) * rate))
        return played

    def _cut(self, now: float, played: int) -> None:
        """The page dropped everything after ``played``: forget it was ever sent."""
        self._sent.clear()
        self._played_done = self._sent_pos = played
        self._play_end = now
        while self._history and (self._history[-1][0] >= now or self._history[-1][1] >= played):
            self._history.pop()
        if self._history:
            start, pos, size = self._history[-1]
            self._history[-1] = (start, pos, min(size, played - pos))
        kept = [(start, min(end, now), level) for start, end, level in self._levels if start < now]
        self._levels.clear()
        self._levels.extend(kept)

    def _drop_pending(self) -> None:
        """Nobody will hear what's queued (the socket went away): it never plays."""
        self._pending.clear()
        self._queued = self._sent_pos

    def _silence(self) -> None:
        self._control.append({"type": "audio_clear"})
        if self._speaking:
            self._speaking = False
            self._control.append({"type": "speaking", "on": False})
        self._kick()

    def _kick(self) -> None:
        self._wake.set()

    async def _send_loop(self) -> None:
        rate = self.output_rate
        try:
            while True:
                self._wake.clear()
                while self._control:
                    await self._send_json(self._control.popleft())
                if self._closed:
                    return
                now = self.now()
                if self._pending and not self._paused:
                    ahead = self._play_end - now
                    if ahead > self.ahead_s:
                        await self._sleep(ahead - self.ahead_s)
                        continue
                    if not self._speaking:
                        self._speaking = True
                        self._control.append({"type": "speaking", "on": True})
                        continue
                    pcm = self._pending.popleft()
                    sent = _Sent(max(now + START_DELAY_S, self._play_end), self._sent_pos, pcm)
                    self._sent.append(sent)
                    self._history.append((sent.start, sent.pos, pcm.size))
                    self._levels.append((sent.start, sent.end(rate),
                                         rms(pcm.astype(np.float32) / 32768.0)))
                    self._sent_pos += pcm.size
                    self._play_end = sent.end(rate)
                    await self._send_bytes(pcm.tobytes())
                    continue
                if self._speaking and now >= self._play_end:
                    self._speaking = False
                    self._control.append({"type": "speaking", "on": False})
                    continue
                await self._sleep(self._play_end - now if self._speaking else None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket closed under us: nothing more will be heard
            log.debug("voice sender stopped: %s", exc)
            self._closed = True
            self._drop_pending()

    async def _sleep(self, seconds: float | None) -> None:
        """Until there's something to do, or ``seconds`` pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)


# -- the models -----------------------------------------------------------------------------
