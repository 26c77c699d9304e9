"""Finding, assembling and verifying the embedded model files.

Assembly writes to a temporary file and renames it only after the sha256 matches, so an
interrupted or failed assembly never leaves a file that looks finished. Once verified, a
small stamp (size, mtime, sha256) lets later starts skip re-hashing a gigabyte; any change
to the file invalidates the stamp and it is hashed again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable
from pathlib import Path

from os1.errors import ModelError
from os1.models.catalog import CATALOG, ModelSpec

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
CHUNK = 4 * 1024 * 1024


def part_path(package: str, relative: str) -> Path | None:
    """Where an installed package keeps a file, without importing the package."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def missing_parts(spec: ModelSpec) -> list[str]:
    return [p.distribution for p in spec.parts if part_path(p.package, p.path) is None]


def _stamp_path(models_dir: Path, spec: ModelSpec) -> Path:
    return models_dir / f"{spec.filename}.verified.json"


def _identity(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_stamp(models_dir: Path, spec: ModelSpec, path: Path) -> None:
    models_dir.mkdir(parents=True, exist_ok=True)
    stamp = _identity(path) | {"sha256": spec.sha256}
    tmp = _stamp_path(models_dir, spec).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp), encoding="utf-8")
    tmp.replace(_stamp_path(models_dir, spec))


def _stamp_matches(models_dir: Path, spec: ModelSpec, path: Path) -> bool:
    try:
        stamp = json.loads(_stamp_path(models_dir, spec).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(stamp == _identity(path) | {"sha256": spec.sha256})


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def concatenate(sources: list[Path], target: Path, sha256: str, total: int,
                progress: Progress | None = None) -> str | None:
    """Join ``sources`` into ``target`` through a temporary file beside it, renamed only when
    the whole hashes to ``sha256``: an interrupted or wrong assembly never looks finished.
    Returns None when it matched, else the sha256 it got (nothing is left behind). Raises
    OSError when the file can't be written."""
    tmp = target.with_name(f".{target.name}.partial")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for source in sources:
                with source.open("rb") as fh:
                    while chunk := fh.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != sha256:
            return got
        os.chmod(tmp, 0o644)
        tmp.replace(target)
        return None
    finally:
        tmp.unlink(missing_ok=True)


def target_path(spec: ModelSpec, models_dir: Path) -> Path:
    """Single-file models are used where pip put them; multi-part ones are assembled here."""
    if len(spec.parts) == 1:
        found = part_path(spec.parts[0].package, spec.parts[0].path)
        if found is not None:
            return found
    return models_dir / spec.filename


def _not_installed(spec: ModelSpec, missing: list[str]) -> ModelError:
    return ModelError(
        f"The model {spec.title} isn't installed ({len(missing)} of its {len(spec.parts)} "
        f"package(s) missing, e.g. {missing[0]}).",
        f"Run ./run.sh, or install it with: {spec.pip_install}",
    )


def _mismatch(spec: ModelSpec, path: Path, got: str) -> ModelError:
    return ModelError(
        f"The model file {path} is damaged or incomplete: its sha256 is {got[:12]}…, "
        f"expected {spec.sha256[:12]}…. os1 won't load it.",
        "Rebuild it with: os1 models install"
        + (f" (or reinstall the package: pip install --force-reinstall {spec.parts[0].distribution})"
           if len(spec.parts) == 1 else ""),
    )


def assemble(spec: ModelSpec, models_dir: Path, progress: Progress | None = None) -> Path:
    """Build (or re-verify) the model file; returns its path. Raises ModelError."""
    missing = missing_parts(spec)
    if missing:
        raise _not_installed(spec, missing)
    target = target_path(spec, models_dir)
    if len(spec.parts) == 1:
        got = sha256_file(target, progress)
        if got != spec.sha256:
            raise _mismatch(spec, target, got)
        _write_stamp(models_dir, spec, target)
        return target
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        sources = [part_path(part.package, part.path) for part in spec.parts]
        wrong = concatenate([p for p in sources if p is not None], target, spec.sha256,
                            spec.size, progress)
    except OSError as exc:
        raise ModelError(f"Couldn't write the model to {target}: {exc.strerror}.",
                         "Free some disk space (it needs about "
                         f"{spec.size // 1_000_000} MB) and run: os1 models install") from exc
    if wrong is not None:
        raise _mismatch(spec, target, wrong)
    _write_stamp(models_dir, spec, target)
    return target


def verified_path(spec: ModelSpec, models_dir: Path, progress: Progress | None = None,
                  *, rehash: bool = False) -> Path:
    """The model file, checked. Cheap when a valid stamp exists; re-hashes otherwise."""
    target = target_path(spec, models_dir)
    if not target.is_file():
        missing = missing_parts(spec)
        if missing:
            raise _not_installed(spec, missing)
        raise ModelError(f"The model {spec.title} hasn't been assembled yet.",
                         "Run: os1 models install")
    size = target.stat().st_size
    if size != spec.size:
        raise ModelError(
            f"The model file {target} is {size:,} bytes; it should be {spec.size:,}. "
            "It is truncated or damaged; os1 won't load it.",
            "Rebuild it with: os1 models install")
    if not rehash and _stamp_matches(models_dir, spec, target):
        return target
    got = sha256_file(target, progress)
    if got != spec.sha256:
        raise _mismatch(spec, target, got)
    _write_stamp(models_dir, spec, target)
    return target


def quick_check(name_or_path: str, models_dir: Path) -> None:
    """Fail fast (no hashing) when the model can't possibly load: before asking anything."""
    if name_or_path not in CATALOG:
        resolve_model(name_or_path, models_dir)
        return
    spec = CATALOG[name_or_path]
    target = target_path(spec, models_dir)
    if not target.is_file():
        missing = missing_parts(spec)
        if missing:
            raise _not_installed(spec, missing)
        raise ModelError(f"The model {spec.title} hasn't been assembled yet.",
                         "Run: os1 models install")
    if target.stat().st_size != spec.size:
        raise ModelError(f"The model file {target} is truncated or damaged "
                         f"({target.stat().st_size:,} bytes, expected {spec.size:,}).",
                         "Rebuild it with: os1 models install")


def resolve_model(name_or_path: str, models_dir: Path,
                  progress: Progress | None = None) -> tuple[Path, ModelSpec | None]:
    """A catalog name, or a path to the person's own GGUF file (not pinned; checked to be GGUF)."""
    if name_or_path in CATALOG:
        spec = CATALOG[name_or_path]
        return verified_path(spec, models_dir, progress), spec
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        known = ", ".join(CATALOG)
        raise ModelError(f"There's no model called '{name_or_path}', and no file at that path.",
                         f"Use one of: {known}; or a path to a .gguf file "
                         "(os1 config set model PATH).")
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelError(f"{path} isn't a GGUF model file.",
                             "Point os1 at a .gguf file made for llama.cpp.")
    return path, None
