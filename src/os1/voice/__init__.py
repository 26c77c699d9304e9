"""Talking out loud: voice activity, speech-to-text, text-to-speech, turn-taking, barge-in.

Transport-agnostic: a session reads microphone frames and writes speaker audio through a
``Transport`` (local sound devices for ``os1 talk``, a WebSocket for the browser, files in
tests), and every turn goes through the one conversation loop, ``Companion.respond``.
"""
