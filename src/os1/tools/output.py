"""Writing what os1 makes (a letter's PDF, a book, a piece of music) so that it is never half
written: the bytes go to a temporary file beside the target, which is renamed over it only once
complete. A crash, a full disk or Ctrl-C leaves the old file (or none), never a broken one.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from os1.errors import Os1Error


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yields a temporary path to write to; on success it becomes ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise Os1Error(f"I can't write to {path.parent}: {exc.strerror or exc}.",
                       "Choose another folder, or free some space there.") from exc
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise Os1Error(f"Writing {path.name} failed: {exc.strerror or exc}. Nothing was left "
                       "half written.", "Free some space (or choose another folder) and try "
                       "again.") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def file_stem(text: str, limit: int = 40, fallback: str = "file") -> str:
    """A file-name-safe version of a title: 'Waltz for the night…' → 'waltz-for-the-night'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-") or fallback


def write_atomically(path: Path, data: bytes) -> Path:
    with atomic_output(path) as temp:
        temp.write_bytes(data)
    return Path(path)
