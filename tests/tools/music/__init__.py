"""Tests for os1.tools.music: the composer, the MIDI writer, FluidSynth rendering, the service."""

from __future__ import annotations

import shutil

from os1.errors import Os1Error
from tests.services import unavailable


def require_fluidsynth() -> None:
    """Skip (or fail, with OS1_REQUIRE_SERVICES=1) when FluidSynth or a GM sound font is missing."""
    from os1.tools.music.render import find_soundfont

    if shutil.which("fluidsynth") is None:
        unavailable("FluidSynth isn't installed", "sudo apt-get install fluidsynth fluid-soundfont-gm")
    try:
        find_soundfont()
    except Os1Error:
        unavailable("No General MIDI sound font is installed", "sudo apt-get install fluid-soundfont-gm")
