"""The music tools for the conversation loop: both only look, as far as the person is concerned.

Composing writes a new piece into os1's own data folder (a row in its database and a WAV
beside it) and nothing of the person's: no mail is sent, no file of theirs is touched, nothing
is shared. So ``compose_music`` is a read tool and needs no approval, like drafting a reply
before anyone decides to send it.
"""

from __future__ import annotations

from typing import Any

from os1.errors import InputError
from os1.tools.base import tool
from os1.tools.music.service import MusicService


class MusicTools:
    """Tools over one person's MusicService."""

    def __init__(self, service: MusicService) -> None:
        self.service = service

    @tool("read")
    def list_music(self) -> list[dict[str, Any]]:
        """The pieces os1 has written for the person, newest first, each with what it was for.

        Titles and descriptions are the person's own words (or os1's), never outside text."""
        return [piece.as_dict() for piece in self.service.list()]

    @tool("read")
    def compose_music(self, description: str, seconds: float = 60) -> dict[str, Any]:
        """Write a short solo-piano piece (30-90 seconds) for a moment, following the person's
        current mood, and keep it with what it was for.

        It changes nothing of the person's: the piece is saved only in os1's own data folder
        (playable with 'os1 music play ID'), so it needs no approval. ``description`` is what the
        piece is for, in the person's words: "the night we walked on the beach"."""
        if not description.strip():
            raise InputError("What should the piece be for?",
                             "Say the moment in a few words: 'the night we walked on the beach'.")
        return self.service.compose(description, seconds=seconds).as_dict()
