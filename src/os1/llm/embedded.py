"""The embedded backend: llama.cpp in this process, on the CPU.

llama.cpp is synchronous, so each generation runs in a worker thread that hands pieces to
the event loop. Cancelling the consumer sets a flag the worker checks between tokens.
llama-cpp-python keeps the evaluated tokens of the previous call and re-evaluates only
what differs, so a conversation whose prompt grows by appending (persona, then turns)
pays only for the new turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from os1.errors import BackendError, ModelError
from os1.llm.base import ChatMessage

_END = object()


class EmbeddedBackend:
    supports_schema = True

    def __init__(self, model_path: Path, *, context_tokens: int = 4096,
                 threads: int | None = None, max_reply_tokens: int = 512) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("The embedded model runtime (llama-cpp-python) isn't installed.",
                             "Run ./run.sh, or: pip install -e '.[embedded]'") from exc
        self.name = f"embedded:{model_path.name}"
        self.context_tokens = context_tokens
        self.max_reply_tokens = max_reply_tokens
        self._lock = threading.Lock()  # one generation at a time on one model
        try:
            self._llm = Llama(model_path=str(model_path), n_ctx=context_tokens,
                              n_threads=threads or os.cpu_count() or 2,
                              n_batch=512, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"llama.cpp couldn't load {model_path}: {exc}.",
                             "Check the file with 'os1 models verify', or rebuild it with "
                             "'os1 models install'.") from exc

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8", "replace"), add_bos=False,
                                      special=True))

    async def stream(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                     stop: list[str] | None = None, max_tokens: int | None = None,
                     temperature: float | None = None) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        cancelled = threading.Event()
        options: dict[str, Any] = {
            "messages": [m.as_dict() for m in messages],
            "stream": True,
            "max_tokens": max_tokens or self.max_reply_tokens,
            "stop": stop or None,
            "temperature": 0.7 if temperature is None else temperature,
        }
        if schema is not None:
            options["response_format"] = {"type": "json_object", "schema": schema}

        def put(item: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop may be gone at exit
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            with self._lock:
                if cancelled.is_set():
                    put(_END)
                    return
                try:
                    chunks = self._llm.create_chat_completion(**options)
                    for chunk in chunks:
                        if cancelled.is_set():
                            break
                        piece = chunk["choices"][0]["delta"].get("content")
                        if piece:
                            put(piece)
                    chunks.close()  # type: ignore[union-attr]
                except Exception as exc:  # noqa: BLE001 - handed to the consumer
                    put(exc)
                    return
                put(_END)

        thread = threading.Thread(target=work, name="os1-llama", daemon=True)
        thread.start()
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise BackendError(f"The embedded model failed: {item}.",
                                       "Try again; if it keeps failing, try a shorter message.") from item
                assert isinstance(item, str)
                yield item
        finally:
            cancelled.set()

    async def aclose(self) -> None:
        with self._lock:
            self._llm.close()
