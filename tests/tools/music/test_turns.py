"""Music in the conversation: what the piece is for."""

from __future__ import annotations

from os1.tools.music.turns import moment_from


def test_the_moment_for_music_is_what_they_said_not_a_request() -> None:
    """Seen by a new user: "make it look handwritten", then "write something for this moment"
    gave a piece "for make it look handwritten"."""
    earlier = ["We walked along the beach until the sun came up", "make it look handwritten"]
    assert moment_from("Write something for this moment", earlier) == earlier[0]
    assert moment_from("Write something for this moment", ["warmer"]) == "this moment"
