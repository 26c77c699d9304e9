"""Where sound comes from and goes to. The voice session doesn't know which one it has.

- ``LocalAudio``: the computer's microphone and speaker (PortAudio, via sounddevice), for
  ``os1 talk``.
- ``Room``: a simulated room in real time: audio files are "spoken" into the microphone at
  chosen moments, over silence or noise; what os1 plays is recorded with timestamps, and
  (optionally) leaks back into the microphone as echo. Tests and benchmarks use it, and so
  does ``os1 talk --input FILE`` on a machine without a microphone.
- The browser's WebSocket transport (the server issue) implements the same protocol.

Playback keeps an account in seconds: ``queued_s`` (all audio ever handed over) and
``played_s`` (all audio that actually left the speaker); their difference is what's still
waiting. That is how the session knows what the person actually heard when interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from os1.errors import AudioError
from os1.voice.audio import FRAME, RATE, as_float32, resample, rms


class Transport(Protocol):
    input_rate: int

    def frames(self) -> AsyncIterator[np.ndarray]:
        """Microphone blocks as they arrive. Ends when the input ends; raises AudioError when
        the device goes away."""
        ...

    def play(self, samples: np.ndarray, rate: int) -> None:
        """Queue audio to play after what's already queued. Returns at once."""
        ...

    def pause(self) -> None:
        """Go silent now, keeping what's queued."""
        ...

    def resume(self) -> None: ...

    def clear(self) -> None:
        """Drop everything queued and go silent now."""
        ...

    @property
    def queued_s(self) -> float: ...

    @property
    def played_s(self) -> float: ...

    def output_level(self) -> float:
        """The loudest RMS os1 played over the last ~0.4 s (for the echo gate)."""
        ...

    def when_played(self, position_s: float) -> float | None:
        """When the audio at ``position_s`` (queued/played timeline) left for the speaker."""
        ...

    def now(self) -> float:
        """The transport's clock (seconds, monotonic), shared with the session's events."""
        ...


class _Player:
    """The speaker side, shared by both transports: a queue of audio consumed in blocks at
    the output rate, with pause/clear and the played/queued account."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._chunks: deque[np.ndarray] = deque()
        self._offset = 0  # samples already consumed of _chunks[0]
        self._queued = 0  # samples, ever
        self._played = 0
        self._paused = False
        self._levels: deque[tuple[float, float]] = deque(maxlen=64)  # (time, rms) of blocks
        # (time, played before, played after) of recent blocks, in samples: when each
        # sample actually left for the speaker.
        self._takes: deque[tuple[float, int, int]] = deque(maxlen=512)

    def play(self, samples: np.ndarray, rate: int) -> None:
        data = as_float32(samples)
        if rate != self.rate:
            data = resample(data, rate, self.rate)
        if data.size == 0:
            return
        with self._lock:
            self._chunks.append(data)
            self._queued += data.size

    def pause(self) -> None:
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    def clear(self) -> None:
        with self._lock:
            self._chunks.clear()
            self._offset = 0
            self._queued = self._played
            self._paused = False

    def take(self, count: int, now: float) -> np.ndarray:
        """The next ``count`` samples for the device (silence when paused or idle)."""
        out = np.zeros(count, dtype=np.float32)
        with self._lock:
            before = self._played
            filled = 0
            while not self._paused and filled < count and self._chunks:
                head = self._chunks[0]
                n = min(count - filled, head.size - self._offset)
                out[filled:filled + n] = head[self._offset:self._offset + n]
                filled += n
                self._offset += n
                if self._offset >= head.size:
                    self._chunks.popleft()
                    self._offset = 0
            self._played += filled
            if filled:
                self._takes.append((now, before, self._played))
        self._levels.append((now, rms(out)))
        return out

    def when_played(self, position_s: float) -> float | None:
        """When the sample at ``position_s`` on the played timeline went out (None: not yet)."""
        sample = int(round(position_s * self.rate))
        for at, before, after in reversed(list(self._takes)):
            if before <= sample < after:
                return at + (sample - before) / self.rate
        return None

    def level(self, now: float, window: float = 0.4) -> float:
        levels = [lvl for at, lvl in list(self._levels) if now - at <= window]
        return max(levels, default=0.0)

    @property
    def queued_s(self) -> float:
        return self._queued / self.rate

    @property
    def played_s(self) -> float:
        return self._played / self.rate


class _Speaks:
    """The speaker side of a transport, handed to its ``_Player``."""

    player: _Player

    def now(self) -> float:
        return time.monotonic()

    def play(self, samples: np.ndarray, rate: int) -> None:
        self.player.play(samples, rate)

    def pause(self) -> None:
        self.player.pause()

    def resume(self) -> None:
        self.player.resume()

    def clear(self) -> None:
        self.player.clear()

    @property
    def queued_s(self) -> float:
        return self.player.queued_s

    @property
    def played_s(self) -> float:
        return self.player.played_s

    def output_level(self) -> float:
        return self.player.level(self.now())

    def when_played(self, position_s: float) -> float | None:
        return self.player.when_played(position_s)


@dataclass
class _Scheduled:
    at: float  # seconds after the room starts
    samples: np.ndarray  # 16 kHz


class Room(_Speaks):
    """A simulated room, in real time (see the module docstring).

    ``say(samples)`` speaks now (or at ``at`` seconds after start); the microphone otherwise
    hears ``background`` (silence, or seeded noise at ``noise_level``). Output is recorded in
    ``recording`` on the same timeline as the input. ``echo`` (a gain) and ``echo_delay``
    feed what os1 plays back into the microphone, as a laptop's speaker would.
    """

    input_rate = RATE

    def __init__(self, *, output_rate: int = 22_050, duration: float | None = None,
                 noise_level: float = 0.0, echo: float = 0.0, echo_delay: float = 0.05,
                 block: int = FRAME, seed: int = 0, realtime: bool = True) -> None:
        self.player = _Player(output_rate)
        self.duration = duration  # end the input after this long (None: until close())
        self.noise_level = noise_level
        self.echo = echo
        self.echo_delay = echo_delay
        self.block = block
        self._rng = np.random.default_rng(seed)
        # Not in real time, the room's clock is the audio itself (seconds fed so far): hours
        # of silence pass in seconds. Only for what needs no model to keep pace.
        self.realtime = realtime
        self._sent = 0
        self._scheduled: list[_Scheduled] = []
        self._started: float | None = None
        self._closed = False
        self._recorded: list[np.ndarray] = []  # output blocks at the output rate, in order
        self._recent_16k: deque[tuple[int, np.ndarray]] = deque(maxlen=32)  # for the echo
        self.spoken: list[tuple[float, float]] = []  # (start, end) of each say(), room seconds
        self._input: list[np.ndarray] = []

    # -- the room's clock ---------------------------------------------------------------
    def now(self) -> float:
        if not self.realtime:
            return 1000.0 + self._sent / RATE
        return time.monotonic()

    @property
    def started(self) -> float:
        if not self.realtime:
            return 1000.0
        return self._started if self._started is not None else self.now()

    def elapsed(self) -> float:
        return self.now() - self.started

    # -- the person ---------------------------------------------------------------------
    def say(self, samples: np.ndarray, *, rate: int = RATE, at: float | None = None) -> tuple[float, float]:
        """Speak into the microphone at ``at`` (room seconds; default: now). Returns the
        (start, end) of the speech in monotonic time, the end trimmed of trailing silence."""
        data = resample(as_float32(samples), rate, RATE)
        start = self.elapsed() if at is None else at
        self._scheduled.append(_Scheduled(start, data))
        voiced = np.flatnonzero(np.abs(data) > 0.01)
        end = start + ((voiced[-1] + 1) / RATE if voiced.size else 0.0)
        self.spoken.append((self.started + start, self.started + end))
        return self.started + start, self.started + end

    def close(self) -> None:
        self._closed = True

    # -- Transport ----------------------------------------------------------------------
    async def frames(self) -> AsyncIterator[np.ndarray]:
        self._started = self.now()
        sent = 0
        while not self._closed:
            if self.duration is not None and sent / RATE >= self.duration:
                return
            if self.realtime:
                due = self._started + (sent + self.block) / RATE
                delay = due - self.now()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)
            block = self._mic_block(sent)
            sent += self.block
            self._sent = sent
            yield block

    def _mic_block(self, start: int) -> np.ndarray:
        n = self.block
        # The speaker plays in step with the microphone: one block out per block in (counted
        # from the start, so 512 samples at 16 kHz don't drift against 705.6 at 22.05 kHz).
        count = (round((start + n) * self.player.rate / RATE)
                 - round(start * self.player.rate / RATE))
        out = self.player.take(count, self.now())
        self._recorded.append(out)
        out16 = resample(out, self.player.rate, RATE)[:n]
        if out16.size < n:
            out16 = np.pad(out16, (0, n - out16.size))
        self._recent_16k.append((start, out16))
        mic = (self._rng.normal(0.0, self.noise_level, n).astype(np.float32)
               if self.noise_level else np.zeros(n, dtype=np.float32))
        for item in self._scheduled:
            first = int(round(item.at * RATE))
            lo, hi = max(start, first), min(start + n, first + item.samples.size)
            if lo < hi:
                mic[lo - start:hi - start] += item.samples[lo - first:hi - first]
        if self.echo:
            lag = int(self.echo_delay * RATE)
            for at, played in self._recent_16k:  # played[i] sounds at at+i; heard at at+i+lag
                lo, hi = max(start, at + lag), min(start + n, at + lag + n)
                if lo < hi:
                    mic[lo - start:hi - start] += self.echo * played[lo - at - lag:hi - at - lag]
        block = np.clip(mic, -1.0, 1.0)
        self._input.append(block)
        return block

    # -- what happened ------------------------------------------------------------------
    @property
    def input_log(self) -> np.ndarray:
        """Everything the microphone heard, at 16 kHz."""
        return np.concatenate(self._input) if self._input else np.zeros(0, np.float32)

    @property
    def recording(self) -> np.ndarray:
        """Everything os1 played (silence included), at the output rate, from the start."""
        return np.concatenate(self._recorded) if self._recorded else np.zeros(0, np.float32)

    def audible(self, threshold: float = 0.01, hop: float = 0.01) -> list[tuple[float, float]]:
        """When os1's output was sounding: (start, end) spans in monotonic time."""
        audio, rate = self.recording, self.player.rate
        step = max(1, int(hop * rate))
        loud = [bool(np.max(np.abs(audio[i:i + step])) > threshold)
                for i in range(0, audio.size, step)]
        spans: list[tuple[float, float]] = []
        start = None
        for i, on in enumerate(loud + [False]):
            if on and start is None:
                start = i
            elif not on and start is not None:
                spans.append((self.started + start * step / rate, self.started + i * step / rate))
                start = None
        return spans


class LocalAudio(_Speaks):
    """The computer's microphone and speaker, through PortAudio (sounddevice)."""

    def __init__(self, *, output_rate: int, input_device: int | str | None = None,
                 output_device: int | str | None = None, stall_seconds: float = 2.0) -> None:
        sd = import_sounddevice()
        self._sd = sd
        try:
            inputs = sd.query_devices(input_device, "input") if input_device is not None \
                else sd.query_devices(kind="input")
            sd.query_devices(output_device, "output") if output_device is not None \
                else sd.query_devices(kind="output")
        except (ValueError, sd.PortAudioError) as exc:
            raise no_device(str(exc)) from exc
        self.input_device, self.output_device = input_device, output_device
        self.input_rate = int(inputs["default_samplerate"]) if inputs else RATE
        self.player = _Player(output_rate)
        self.stall_seconds = stall_seconds
        self._in: Any = None
        self._out: Any = None

    async def frames(self) -> AsyncIterator[np.ndarray]:
        sd = self._sd
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[np.ndarray | None] = asyncio.Queue()
        problems: list[str] = []

        def on_input(indata: np.ndarray, _frames: int, _time: object, status: object) -> None:
            if status and getattr(status, "input_overflow", False):
                problems.append("overflow")
            loop.call_soon_threadsafe(queue.put_nowait, indata[:, 0].copy())

        def on_output(outdata: np.ndarray, frames: int, _time: object, _status: object) -> None:
            outdata[:, 0] = self.player.take(frames, time.monotonic())

        try:
            for rate in dict.fromkeys((RATE, self.input_rate)):
                try:
                    self._in = sd.InputStream(samplerate=rate, channels=1, dtype="float32",
                                              blocksize=FRAME * rate // RATE,
                                              device=self.input_device, callback=on_input)
                    self.input_rate = rate
                    break
                except sd.PortAudioError:
                    if rate == self.input_rate:
                        raise
            self._out = sd.OutputStream(samplerate=self.player.rate, channels=1,
                                        dtype="float32", blocksize=0, latency="low",
                                        device=self.output_device, callback=on_output)
            self._in.start()
            self._out.start()
        except sd.PortAudioError as exc:
            self._stop()
            raise no_device(str(exc)) from exc
        try:
            while True:
                try:
                    block = await asyncio.wait_for(queue.get(), self.stall_seconds)
                except TimeoutError:
                    raise AudioError(
                        "The microphone stopped sending sound (was it unplugged?). Everything "
                        "said so far is saved.",
                        "Plug it back in and run os1 talk again, or keep talking in text: "
                        "os1 chat") from None
                if block is None:
                    return
                yield block
        finally:
            self._stop()

    def _stop(self) -> None:
        for stream in (self._in, self._out):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.stop()
                    stream.close()
        self._in = self._out = None


def import_sounddevice():  # type: ignore[no-untyped-def]
    try:
        import sounddevice
    except ImportError as exc:
        raise AudioError("os1's audio library (sounddevice) isn't installed.",
                         "Install the voice parts: pip install -e '.[voice]' (./run.sh does it)"
                         ) from exc
    except OSError as exc:  # the PortAudio shared library is missing
        raise AudioError(
            "The system sound library PortAudio isn't installed, so os1 can't use the "
            "microphone or speaker.",
            "Install it (Debian/Ubuntu: sudo apt-get install libportaudio2; macOS: brew "
            "install portaudio), or talk in text: os1 chat") from exc
    return sounddevice


def no_device(detail: str) -> AudioError:
    return AudioError(
        f"There's no microphone or speaker os1 can use ({detail}).",
        "Plug in a headset or check your sound settings (`python -m sounddevice` lists the "
        "devices; choose one with --input-device/--output-device). You can also try os1 with "
        "a recording: os1 talk --input speech.wav; or talk in text: os1 chat")
