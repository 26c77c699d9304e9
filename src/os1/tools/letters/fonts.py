"""The fonts a letter is written and a book is set in, found where os1's installer put them.

Every face comes from a ``fontpkg-*`` package on PyPI (installed with ``os1[letters]``), so the
fonts travel with os1 on any machine and their licences are on disk beside them (see
FONTS.md). Scripts the main faces lack (Hebrew, Arabic, symbols, a few emoji) are drawn with
fallback faces: more fontpkg packages when installed, then the DejaVu fonts that Debian ships.
A character that no face can draw is reported by name, never printed as an empty box.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata as dist_metadata
from pathlib import Path

from os1.errors import Os1Error
from os1.tools.output import atomic_output

INSTALL_FIX = "pip install 'os1[letters]' (or ./run.sh again)"


@dataclass(frozen=True)
class FontFace:
    """One font file and where it came from (what FONTS.md and ``licenses()`` report)."""

    slug: str  # "indie-flower"
    family: str  # "Indie Flower"
    path: Path
    package: str  # the PyPI distribution, or "system" for a Debian font
    version: str
    license: str  # "OFL-1.1"
    license_path: Path | None
    copyright: str
    variable: bool = False
    # For a variable font, the axis values to draw with (fpdf2 and Pillow take the same dict).
    variations: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _PackagedFont:
    slug: str
    module: str  # the import name, e.g. fontpkg_indie_flower
    distribution: str  # the pip name, e.g. fontpkg-indie-flower
    file: str  # inside the package's files/ folder
    role: str  # what a person would miss: "handwriting font", "book font" …
    variations: tuple[tuple[str, float], ...] = ()


# The hands a letter can be written in. Caveat is a variable font; both fpdf2 (2.8+) and
# Pillow draw a chosen weight of it, so it is offered as a second hand.
HANDS: dict[str, _PackagedFont] = {
    "indie-flower": _PackagedFont("indie-flower", "fontpkg_indie_flower", "fontpkg-indie-flower",
                                  "IndieFlower-Regular.ttf", "handwriting font"),
    "caveat": _PackagedFont("caveat", "fontpkg_caveat", "fontpkg-caveat", "Caveat[wght].ttf",
                            "handwriting font", (("wght", 450.0),)),
}

BOOK_REGULAR = _PackagedFont("eb-garamond", "fontpkg_eb_garamond", "fontpkg-eb-garamond",
                             "EBGaramond[wght].ttf", "book font", (("wght", 400.0),))
BOOK_BOLD = _PackagedFont("eb-garamond", "fontpkg_eb_garamond", "fontpkg-eb-garamond",
                          "EBGaramond[wght].ttf", "book font", (("wght", 600.0),))
BOOK_ITALIC = _PackagedFont("eb-garamond", "fontpkg_eb_garamond", "fontpkg-eb-garamond",
                            "EBGaramond-Italic[wght].ttf", "book font", (("wght", 400.0),))

# Optional faces for scripts EB Garamond lacks; used when installed, skipped otherwise.
OPTIONAL_FALLBACKS: tuple[_PackagedFont, ...] = (
    _PackagedFont("frank-ruhl-libre", "fontpkg_frank_ruhl_libre", "fontpkg-frank-ruhl-libre",
                  "FrankRuhlLibre[wght].ttf", "Hebrew font", (("wght", 400.0),)),
    _PackagedFont("amiri", "fontpkg_amiri", "fontpkg-amiri", "Amiri-Regular.ttf", "Arabic font"),
)

# Debian's fonts-dejavu-core: Hebrew, Arabic, Greek, Cyrillic, many symbols and some emoji.
SYSTEM_FALLBACKS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


def package_root(module: str) -> Path | None:
    """The folder of an installed fontpkg package, or None. (The one place fonts are looked
    up, so a test can point it at an empty folder to play "font not installed".)"""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parent


def _load(font: _PackagedFont, *, required: bool) -> FontFace | None:
    root = package_root(font.module)
    path = root / "files" / font.file if root else None
    if root is None or path is None or not path.is_file():
        if not required:
            return None
        raise Os1Error(f"The {font.role} isn't installed ({font.distribution}: {font.file} "
                       "not found).", INSTALL_FIX)
    meta = _metadata(root)
    license_path = root / "LICENSE"
    try:
        version = dist_metadata.version(font.distribution)
    except dist_metadata.PackageNotFoundError:
        version = str(meta.get("version", "?"))
    return FontFace(
        slug=font.slug, family=str(meta.get("family", font.slug)), path=path,
        package=font.distribution, version=version, license=str(meta.get("license", "OFL-1.1")),
        license_path=license_path if license_path.is_file() else None,
        copyright=str(meta.get("copyright", "")), variable="[" in font.file,
        variations=dict(font.variations))


def _metadata(root: Path) -> dict[str, object]:
    try:
        data = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def hand(name: str = "indie-flower") -> FontFace:
    """The handwriting face called ``name``; an Os1Error saying how to install it if absent."""
    try:
        font = HANDS[name]
    except KeyError:
        raise Os1Error(f"I don't know the hand {name!r}.",
                       f"Choose one of: {', '.join(sorted(HANDS))}.") from None
    face = _load(font, required=True)
    assert face is not None
    return face


@dataclass(frozen=True)
class BookFaces:
    regular: FontFace
    bold: FontFace
    italic: FontFace


def book_faces() -> BookFaces:
    """EB Garamond in the three styles a book uses."""
    faces = [_load(f, required=True) for f in (BOOK_REGULAR, BOOK_BOLD, BOOK_ITALIC)]
    regular, bold, italic = (f for f in faces if f is not None)
    return BookFaces(regular, bold, italic)


def fallbacks() -> list[FontFace]:
    """Faces for scripts and symbols the main faces lack, best first. May be empty: then any
    such character is reported by ``missing_characters``."""
    found = [face for face in (_load(f, required=False) for f in OPTIONAL_FALLBACKS) if face]
    for path in SYSTEM_FALLBACKS:
        if path.is_file():
            found.append(FontFace(
                slug="dejavu-sans", family="DejaVu Sans", path=path, package="system",
                version="fonts-dejavu-core", license="Bitstream Vera / DejaVu (free)",
                license_path=_system_license(path),
                copyright="Copyright 2003 Bitstream, Inc.; DejaVu changes are in the public "
                          "domain"))
            break
    return found


def _system_license(font: Path) -> Path | None:
    for candidate in (Path("/usr/share/doc/fonts-dejavu-core/copyright"),
                      font.parent / "LICENSE"):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class FontLicense:
    family: str
    package: str
    version: str
    license: str
    license_path: Path | None
    copyright: str
    installed: bool


def licenses() -> list[FontLicense]:
    """Every font os1 can draw letters and books with, and where its licence text is."""
    out: list[FontLicense] = []
    seen: set[str] = set()
    for font in (*HANDS.values(), BOOK_REGULAR, BOOK_ITALIC, *OPTIONAL_FALLBACKS):
        key = f"{font.distribution}/{font.file}"
        if key in seen:
            continue
        seen.add(key)
        face = _load(font, required=False)
        if face is None:
            out.append(FontLicense(font.slug, font.distribution, "", "OFL-1.1", None, "", False))
        else:
            out.append(FontLicense(face.family, face.package, face.version, face.license,
                                   face.license_path, face.copyright, True))
    out.extend(FontLicense(f.family, f.package, f.version, f.license, f.license_path,
                           f.copyright, True) for f in fallbacks() if f.package == "system")
    return out


# -- static instances of variable fonts ------------------------------------------------------
def static_path(face: FontFace, cache_dir: Path | None = None) -> Path:
    """A plain (non-variable) TTF of ``face`` at its chosen weight.

    fpdf2 and Pillow can draw variable fonts, but fpdf2 re-instances them on every document
    (~1.5 s per face for EB Garamond), so the instance is made once and kept in os1's cache
    folder (``$XDG_CACHE_HOME/os1/fonts``, else a temporary folder)."""
    if not face.variable or not face.variations:
        return face.path
    stat = face.path.stat()
    key = json.dumps([str(face.path), stat.st_size, stat.st_mtime_ns, sorted(face.variations.items())])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    weight = "-".join(f"{k}{v:g}" for k, v in sorted(face.variations.items()))
    name = f"{face.path.stem.split('[')[0]}-{weight}-{digest}.ttf"
    for folder in ([cache_dir] if cache_dir else _cache_dirs()):
        target = folder / name
        if target.is_file():
            return target
        try:
            _instantiate(face, target)
        except (OSError, Os1Error):
            continue
        return target
    raise Os1Error(f"I couldn't prepare the font {face.family} for drawing (no writable cache "
                   "folder).", "Set XDG_CACHE_HOME to a folder you can write to, then try again.")


def _cache_dirs() -> list[Path]:
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(home) / "os1" / "fonts",
            Path(tempfile.gettempdir()) / f"os1-fonts-{os.getuid() if hasattr(os, 'getuid') else 0}"]


def _instantiate(face: FontFace, target: Path) -> None:
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    with TTFont(face.path) as font:
        static = instancer.instantiateVariableFont(font, dict(face.variations), updateFontNames=False)
        with atomic_output(target) as temp:
            static.save(temp)


# -- coverage ---------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _codepoints(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        cmap = font.getBestCmap() or {}
        return frozenset(cmap)


def covers(face: FontFace, char: str) -> bool:
    return ord(char) in _codepoints(face.path)


def is_invisible(char: str) -> bool:
    """Characters that shape text but draw nothing: joiners, variation selectors, direction
    marks, ordinary whitespace. They never need a glyph."""
    return (char.isspace() or unicodedata.category(char) in ("Cf", "Cc")
            or 0xFE00 <= ord(char) <= 0xFE0F)


def is_emoji(char: str) -> bool:
    code = ord(char)
    return (0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF
            or unicodedata.category(char) == "So")


def missing_characters(text: str, faces: Sequence[FontFace]) -> list[str]:
    """The distinct visible characters of ``text`` that none of ``faces`` can draw, in order."""
    missing: dict[str, None] = {}
    for char in text:
        if char in missing or is_invisible(char):
            continue
        if not any(covers(face, char) for face in faces):
            missing[char] = None
    return list(missing)


def face_for(char: str, faces: Sequence[FontFace]) -> FontFace | None:
    return next((face for face in faces if covers(face, char)), None)


def describe(chars: Iterable[str]) -> str:
    """'"🌹" (ROSE, U+1F339)' for each character: a person can see which ones are meant."""
    parts = []
    for char in chars:
        name = unicodedata.name(char, "unnamed character")
        parts.append(f'"{char}" ({name}, U+{ord(char):04X})')
    return ", ".join(parts)


def is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")
