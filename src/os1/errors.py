"""Errors a person sees.

Every error that can reach the terminal or an API response says what happened and
what to do next, in plain words. Code raises these instead of letting library
exceptions leak, so a surface only has to print ``str(error)``.
"""

from __future__ import annotations


class Os1Error(Exception):
    """Base class: ``what`` happened, and ``fix``, the next step for the person."""

    exit_code = 1

    def __init__(self, what: str, fix: str = "") -> None:
        self.what = what
        self.fix = fix
        super().__init__(f"{what}\n{fix}" if fix else what)


class ConfigError(Os1Error):
    """The config file or an environment variable holds something os1 can't use."""


class StorageError(Os1Error):
    """The database can't be opened or written."""


class DataDirInUse(Os1Error):
    """Another os1 process holds this data directory."""


class ModelError(Os1Error):
    """The embedded model is missing, damaged or can't be loaded."""


class BackendError(Os1Error):
    """The model backend failed: unreachable, timed out, or returned an error."""


class InputError(Os1Error):
    """The person's input can't be used as it is."""


class AudioError(Os1Error):
    """The microphone, the speaker, or speech itself can't be used (no device, unplugged,
    audio os1 can't read, a speech model missing)."""
