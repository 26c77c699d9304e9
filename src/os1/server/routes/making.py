"""What os1 makes for a person, on the server: their letters (with every version), the
handwritten pages, the books, the music. Every query is the signed-in person's own; files
are served from their own folder only, found through their own rows, never a path from the
request."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from os1.errors import InputError, Os1Error
from os1.server.deps import CurrentUser, State

router = APIRouter(prefix="/api", tags=["letters and music"])

MEDIA = {"pdf": "application/pdf", "png": "image/png", "epub": "application/epub+zip",
         "wav": "audio/wav", "mid": "audio/midi"}


def _folder(auth: CurrentUser, state: State) -> Path:
    base = state.pool.shared.people_dir
    if base is None:
        raise HTTPException(503, "Letters and music are off on this server: it has no folder "
                                 "for people's files. Start it with os1 serve.")
    return Path(base) / str(auth.user.id)


def _letters(auth: CurrentUser, state: State) -> Any:
    try:
        from os1.tools.letters.service import LetterService
    except ImportError:
        raise HTTPException(503, "Letters aren't installed here: pip install 'os1[letters]'."
                            ) from None
    name = auth.user.handle
    persona = state.store.active_persona(auth.user.id)
    if persona is not None:
        name = persona.user_name
    return LetterService(state.store, auth.user.id, state.clock, backend=state.backend,
                         out_dir=_folder(auth, state) / "letters", user_name=name)


def _music(auth: CurrentUser, state: State) -> Any:
    try:
        from os1.tools.music.service import MusicService
    except ImportError:
        raise HTTPException(503, "Music isn't installed here: pip install 'os1[music]'."
                            ) from None
    return MusicService(state.store, auth.user.id, state.clock, _folder(auth, state) / "music")


def _not_found(exc: InputError) -> HTTPException:
    return HTTPException(404, exc.what)


def _file(path: str | Path | None, kind: str, name: str) -> FileResponse:
    if not path or not Path(path).is_file():
        raise HTTPException(404, "That file isn't there any more; make it again.")
    return FileResponse(path, media_type=MEDIA[kind], filename=name)


# -- letters ---------------------------------------------------------------------------------
@router.get("/letters")
def letters(auth: CurrentUser, state: State) -> dict[str, Any]:
    return {"letters": [x.as_dict() for x in _letters(auth, state).all(500)]}


@router.get("/letters/{letter_id}")
def letter(letter_id: int, auth: CurrentUser, state: State) -> dict[str, Any]:
    service = _letters(auth, state)
    try:
        found = service.get(letter_id)
        versions = service.library.versions(auth.user.id, letter_id)
    except InputError as exc:
        raise _not_found(exc) from None
    return found.as_dict() | {"history": [{"version": v.version, "change": v.change,
                                           "body": v.body, "at": v.created_at.isoformat()}
                                          for v in versions]}


class LetterPatch(BaseModel):
    body: str | None = Field(default=None, max_length=50_000)
    sender: str | None = Field(default=None, max_length=200)
    recipient: str | None = Field(default=None, max_length=200)
    occasion: str | None = Field(default=None, max_length=300)
    favorite: bool | None = None


@router.patch("/letters/{letter_id}")
def edit_letter(letter_id: int, patch: LetterPatch, auth: CurrentUser,
                state: State) -> dict[str, Any]:
    service = _letters(auth, state)
    try:
        service.get(letter_id)
    except InputError as exc:
        raise _not_found(exc) from None
    if patch.body is not None:
        service.edit(letter_id, patch.body)
    found = service.update(letter_id, sender=patch.sender, recipient=patch.recipient,
                           occasion=patch.occasion, favorite=patch.favorite)
    return dict(found.as_dict())


@router.delete("/letters/{letter_id}", status_code=204)
def delete_letter(letter_id: int, auth: CurrentUser, state: State) -> Response:
    try:
        _letters(auth, state).delete(letter_id)
    except InputError as exc:
        raise _not_found(exc) from None
    return Response(status_code=204)


@router.get("/letters/{letter_id}/handwritten")
async def handwritten(letter_id: int, auth: CurrentUser, state: State,
                      format: Literal["pdf", "png"] = Query("pdf")) -> FileResponse:
    service = _letters(auth, state)
    try:
        page = await asyncio.to_thread(service.handwrite, letter_id)
    except InputError as exc:
        raise _not_found(exc) from None
    except Os1Error as exc:
        raise HTTPException(503, f"{exc.what} {exc.fix}".strip()) from None
    path = page.pdf if format == "pdf" else (page.pngs[0] if page.pngs else None)
    return _file(path, format, f"letter-{letter_id}.{format}")


# -- books -----------------------------------------------------------------------------------
@router.get("/books")
def books(auth: CurrentUser, state: State) -> dict[str, Any]:
    return {"books": [b.as_dict() for b in _letters(auth, state).books()]}


@router.get("/books/{book_id}/{fmt}")
def book_file(book_id: int, fmt: Literal["pdf", "epub"], auth: CurrentUser,
              state: State) -> FileResponse:
    try:
        book = _letters(auth, state).book(book_id)
    except InputError as exc:
        raise _not_found(exc) from None
    return _file(book.pdf_path if fmt == "pdf" else book.epub_path, fmt, f"book-{book_id}.{fmt}")


# -- music -----------------------------------------------------------------------------------
@router.get("/music")
def music(auth: CurrentUser, state: State) -> dict[str, Any]:
    return {"pieces": [_piece(p) for p in _music(auth, state).list()]}


def _piece(piece: Any) -> dict[str, Any]:
    return {"id": piece.id, "title": piece.title, "moment": piece.moment,
            "seconds": round(float(piece.seconds), 1), "plan": dict(piece.plan),
            "created_at": piece.created_at.isoformat()}


@router.get("/music/{piece_id}/{fmt}")
async def music_file(piece_id: int, fmt: Literal["wav", "mid"], auth: CurrentUser,
                     state: State) -> Response:
    service = _music(auth, state)
    try:
        if fmt == "mid":
            data = await asyncio.to_thread(service.midi, piece_id)
            return Response(data, media_type=MEDIA["mid"], headers={
                "Content-Disposition": f'attachment; filename="piece-{piece_id}.mid"'})
        path = await asyncio.to_thread(service.audio, piece_id)
    except InputError as exc:
        raise _not_found(exc) from None
    except Os1Error as exc:
        raise HTTPException(503, f"{exc.what} {exc.fix}".strip()) from None
    return _file(path, "wav", f"piece-{piece_id}.wav")
