"""One os1 process per data directory at a time (the terminal chat, setup)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from os1.errors import DataDirInUse, StorageError


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "os1.lock"
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise StorageError(f"os1 can't use its data directory {self.path.parent}: "
                               f"{exc.strerror}.",
                               "Make it writable, or choose another with --data-dir or OS1_HOME.") from exc
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip() or "unknown"
            fh.close()
            raise DataDirInUse(
                f"os1 is already open in another window (process {pid}) using {self.path.parent}.",
                "Close that one first (your conversation is there), or talk to a separate "
                "companion with --data-dir DIR.") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
