"""Voice-to-voice latency and barge-in, with the embedded models, in real time.

A simulated room (os1.voice.transports.Room) plays recorded speech into the pipeline as a
microphone would, in real time; os1 answers through the real VAD, Whisper, the embedded
chat model and Piper, and what it plays is recorded with timestamps. For each turn:

- latency: end of the person's speech (known exactly: it's our recording) -> the first
  sample of the reply leaving for the speaker, with the breakdown:
  end_of_turn (speech end -> the decision that the turn is over; the final transcription
  starts during the pause), stt (decision -> transcript ready), first_token (transcript ->
  the model's first token: storing the message, reading the feeling, the prompt),
  first_sentence (first token -> the first piece ready to speak), tts (that piece ->
  its first sample played: synthesis + playback start);
- barge-in: on every other turn the person talks over the reply 1.5 s into it; from the
  onset of their speech to os1's output going silent.

Also: CPU used while listening to silence (no one talking), as a share of one core.

    .venv/bin/python benchmarks/voice_latency.py [--turns 20] [--stt tiny.en] [--model ...]
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

from os1.emotion.service import build_emotion  # noqa: E402
from os1.voice.session import VoiceSession  # noqa: E402
from os1.voice.stt import load_stt  # noqa: E402
from os1.voice.transports import Room  # noqa: E402
from os1.voice.tts import load_tts  # noqa: E402
from os1.voice.vad import SileroVad  # noqa: E402

UTTERANCES = [
    "Hi, I'm back. It was a long day.",
    "I had a meeting with my boss this morning and it didn't go well.",
    "She said my project is three weeks late.",
    "Can you remind me to call my sister tomorrow?",
    "What do you think I should cook for dinner?",
    "I'm thinking about going for a walk by the river.",
    "Do you remember what I told you about Paul?",
    "I miss the summer, honestly.",
    "Tell me something that would make me smile.",
    "My friend Amy is getting married in June.",
    "I need to buy her a present but I have no idea what.",
    "What's a good book to read on a rainy weekend?",
    "I'm a bit tired, I didn't sleep well last night.",
    "Work has been really stressful lately.",
    "Thanks for listening, it helps.",
    "Do you ever get bored?",
    "Let's plan something fun for Saturday.",
    "Maybe a picnic in the park if the weather is nice.",
    "I'll bring sandwiches and lemonade.",
    "Okay, I think I'm going to make some tea now.",
    "What kind of music do you like?",
    "Good night, talk to you tomorrow.",
]
INTERRUPTIONS = ["Wait, sorry, can I say something?", "Hold on a second.",
                 "Actually, never mind that.", "Sorry to interrupt you."]


def voiced_span(samples: np.ndarray, threshold: float = 0.01) -> tuple[float, float]:
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if not loud.size:
        return 0.0, 0.0
    return loud[0] / 16_000, (loud[-1] + 1) / 16_000


async def wait_event(session: VoiceSession, kind: str, after: int, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in session.events[after:]:
            if event.kind == kind:
                return event
        await asyncio.sleep(0.01)
    return None


def first(session: VoiceSession, kind: str, after: int) -> Any:
    return next((e for e in session.events[after:] if e.kind == kind), None)


async def run_turns(session: VoiceSession, room: Room, speech: list[np.ndarray],
                    interrupts: list[np.ndarray], turns: int, args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(turns):
        await asyncio.sleep(0.3)
        while not session.idle():
            await asyncio.sleep(0.05)
        if args.wait_quiet:
            await asyncio.to_thread(c.between_runs, args)
        mark = len(session.events)
        audio = speech[i % len(speech)]
        start, _ = room.say(audio)
        lead, tail = voiced_span(audio)
        spoke_until = start + (tail - lead) + lead
        row: dict[str, Any] = {"said": UTTERANCES[i % len(UTTERANCES)]}
        audio_event = await wait_event(session, "first_audio", mark, 60)
        turn = first(session, "turn_end", mark)
        if audio_event is None or turn is None:
            row["error"] = "no reply audio within 60 s"
            rows.append(row)
            continue
        token = first(session, "first_token", mark)
        sentence = first(session, "first_sentence", mark)
        row.update({
            "heard": turn.text,
            "latency_s": round(audio_event.at - spoke_until, 3),
            "end_of_turn_s": round(turn.data["decided_at"] - spoke_until, 3),
            "stt_s": round(turn.data["transcribed_at"] - turn.data["decided_at"], 3),
            "first_token_s": round(token.at - turn.data["transcribed_at"], 3) if token else None,
            "first_sentence_s": round(sentence.at - token.at, 3) if sentence and token else None,
            "tts_s": round(audio_event.at - sentence.at, 3) if sentence else None,
            "first_piece": sentence.text if sentence else None,
        })
        if i % 2 == 1:  # talk over this reply
            while room.now() < audio_event.at + 1.5:
                await asyncio.sleep(0.01)
            if room.queued_s - room.played_s > 0.3:
                cut = interrupts[(i // 2) % len(interrupts)]
                onset_at, _ = room.say(cut)
                onset = onset_at + voiced_span(cut)[0]
                stopped = await wait_event(session, "barge_in", mark, 5)
                await asyncio.sleep(0.6)
                # Silence: the end of the last sound os1 made that began before it could have
                # been paused (it may have been between sentences when the person began).
                sounding = [end for begin, end in room.audible() if begin <= onset + 0.5]
                silent_at = max(sounding) if sounding else None
                row["barge_in_s"] = round(max(0.0, silent_at - onset), 3) if silent_at else None
                row["barge_in_event_s"] = round(stopped.at - onset, 3) if stopped else None
                await wait_event(session, "interrupted", mark, 5)
                # The interruption is a turn of its own; let it be answered before going on.
                await wait_event(session, "reply_done", len(session.events), 90)
        else:
            await wait_event(session, "reply_done", mark, 90)
        rows.append(row)
        c.log(f"turn {i + 1}: {row.get('latency_s')} s  {row.get('heard')!r}")
    return rows


async def idle_cpu(vad: Any, stt: Any, tts: Any, companion: Any, seconds: float) -> dict[str, Any]:
    room = Room(output_rate=tts.sample_rate, duration=seconds, noise_level=0.002)
    session = VoiceSession(companion, room, vad=vad, stt=stt, tts=tts)
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    await session.run()
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    elapsed = time.perf_counter() - wall
    return {"seconds": round(elapsed, 1), "cpu_s": round(used, 3),
            "share_of_one_core": round(used / elapsed, 4)}


def main() -> None:
    parser = c.base_parser(__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--stt", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--voice", default="male")
    parser.add_argument("--speaker-voice", default="male",
                        help="the voice that plays the person (default: Piper joe)")
    parser.add_argument("--reply-tokens", type=int, default=96)
    parser.add_argument("--idle-seconds", type=float, default=30)
    args = c.parse(parser)
    backend, load_s = c.load_backend(args, max_reply_tokens=args.reply_tokens)
    stt = load_stt(args.stt, c.models_dir())
    tts = load_tts(args.voice)
    person = load_tts(args.speaker_voice)
    import soxr

    def spoken(text: str) -> np.ndarray:
        audio = person.synthesize(text)
        return np.asarray(soxr.resample(audio, person.sample_rate, 16_000), dtype=np.float32)

    speech = [spoken(u) for u in UTTERANCES]
    interrupts = [spoken(u) for u in INTERRUPTIONS]
    with c.companion_session(backend, args.reply_tokens) as bench:
        companion = bench.companion
        companion.emotion = build_emotion(bench.store, companion.clock, user_id=bench.user_id,
                                          user_name=companion.persona.user_name, aware=True)
        idle = asyncio.run(idle_cpu(SileroVad(), stt, tts, companion, args.idle_seconds))
        room = Room(output_rate=tts.sample_rate)
        session = VoiceSession(companion, room, vad=SileroVad(), stt=stt, tts=tts)

        async def go() -> list[dict[str, Any]]:
            listening = asyncio.create_task(session.run())
            try:
                # os1 speaks first, as os1 talk does (and the persona prompt gets evaluated).
                await session.speak(companion.greet())
                return await run_turns(session, room, speech, interrupts, args.turns, args)
            finally:
                room.close()
                await listening

        rows = asyncio.run(go())
        stored = [m for m in bench.store.messages(bench.user_id, companion.conversation_id)
                  if m.role in ("user", "assistant")]
    keys = ["latency_s", "end_of_turn_s", "stt_s", "first_token_s", "first_sentence_s", "tts_s"]
    c.emit({
        "benchmark": "voice_latency",
        "environment": c.environment(args) | {"stt": args.stt, "voice": tts.name,
                                              "reply_tokens": args.reply_tokens,
                                              "model_load_s": round(load_s, 2)},
        "turns": len(rows),
        "voice_to_voice_s": {k: c.stats([r.get(k) for r in rows], 3) for k in keys},
        "barge_in_to_silence_s": c.stats([r.get("barge_in_s") for r in rows], 3),
        "barge_in_decision_s": c.stats([r.get("barge_in_event_s") for r in rows], 3),
        "idle_listening_cpu": idle,
        "stored": {"user": sum(m.role == "user" for m in stored),
                   "assistant": sum(m.role == "assistant" for m in stored),
                   "interrupted": sum(m.status == "interrupted" for m in stored)},
        "rows": rows,
    })


if __name__ == "__main__":
    main()
