"""Building the voice parts a session needs, from settings and the persona's chosen voice."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from os1.voice.stt import SpeechToText
from os1.voice.tts import TextToSpeech
from os1.voice.vad import Vad


@dataclass
class VoiceParts:
    vad: Vad
    stt: SpeechToText
    tts: TextToSpeech


def voice_choice(setting: str, persona_voice: str) -> str:
    """The configured voice, or else the one chosen at genesis ("male"/"female")."""
    return setting.strip() or (persona_voice if persona_voice in ("male", "female") else "female")


def build_voice(*, stt_model: str, voice: str, models_dir: Path,
                threads: int | None = None) -> VoiceParts:
    """Load the VAD, speech-to-text and the voice. Raises ModelError (what to install)."""
    from os1.voice.stt import load_stt
    from os1.voice.tts import load_tts
    from os1.voice.vad import SileroVad

    vad = SileroVad()
    tts = load_tts(voice)
    stt = load_stt(stt_model, models_dir, threads=threads)
    return VoiceParts(vad=vad, stt=stt, tts=tts)
