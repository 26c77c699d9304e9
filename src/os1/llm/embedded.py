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
import ctypes
import logging
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from os1.errors import BackendError, ModelError
from os1.llm.base import ChatMessage

log = logging.getLogger(__name__)
_END = object()


class _KeepTerminal:
    """Stands in for llama-cpp-python's ``suppress_stdout_stderr``.

    With verbose=False it silences a model load by pointing the *process's* file descriptors
    1 and 2 at /dev/null. os1 loads the model in a background thread while genesis asks its
    questions, so that would blank the terminal under the person's eyes. llama.cpp's own log
    callback already drops everything below ERROR when verbose is off, so nothing is lost
    by leaving the descriptors alone.
    """

    def __init__(self, disable: bool = True) -> None:
        pass

    def __enter__(self) -> _KeepTerminal:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None


_llama_log = logging.getLogger("os1.llama_cpp")
_log_callback: Any = None  # kept referenced: llama.cpp holds a pointer to it


def _keep_the_terminal() -> None:
    global _log_callback
    import llama_cpp
    import llama_cpp._internals
    import llama_cpp.llama

    if _log_callback is None:
        # llama.cpp's messages (model metadata, tokenizer warnings) go to Python logging, not
        # to the terminal the person is typing in.
        @llama_cpp.llama_log_callback  # type: ignore[misc]
        def _to_logging(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
            _llama_log.debug("%s", text.decode("utf-8", "replace").rstrip())

        _log_callback = _to_logging
        llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))

    llama_cpp.llama.suppress_stdout_stderr = _KeepTerminal  # type: ignore[assignment,misc]
    llama_cpp._internals.suppress_stdout_stderr = _KeepTerminal  # type: ignore[assignment,misc]


class EmbeddedBackend:
    supports_schema = True

    def __init__(self, model_path: Path, *, context_tokens: int = 4096,
                 threads: int | None = None, max_reply_tokens: int = 512,
                 state_dir: Path | None = None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("The embedded model runtime (llama-cpp-python) isn't installed.",
                             "Run ./run.sh, or: pip install -e '.[embedded]'") from exc
        _keep_the_terminal()
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
                             "If it is one of os1's models, check it with 'os1 models verify' "
                             "or rebuild it with 'os1 models install'; if it is your own file, "
                             "it may be damaged or made for another llama.cpp version "
                             "(os1 config set model qwen2.5-coder-1.5b goes back to the default).") from exc
        # llama.cpp asks this between graph nodes; a cancelled job stops within milliseconds,
        # even in the middle of evaluating a long prompt.
        self._abort = threading.Event()
        import llama_cpp

        @llama_cpp.ggml_abort_callback  # type: ignore[misc]
        def _should_abort(_data: ctypes.c_void_p) -> bool:
            return self._abort.is_set()

        self._abort_callback = _should_abort
        llama_cpp.llama_set_abort_callback(self._llm._ctx.ctx, self._abort_callback,
                                           ctypes.c_void_p(0))
        # The evaluated conversation (llama.cpp's KV cache) is kept across restarts, so the
        # first reply after a start doesn't re-read the whole conversation. The file is named
        # after the exact model and window it belongs to; it is only ever a cache.
        self.state_path = None
        if state_dir is not None:
            size = model_path.stat().st_size
            self.state_path = state_dir / f"{model_path.stem}-{size}-{context_tokens}.kvstate"
            self.restored_tokens = self._restore_state()

    restored_tokens = 0
    _aside_state: tuple[Any, int, Any, int] | None = None

    def _restore_state(self) -> int:
        import llama_cpp

        path = self.state_path
        if path is None or not path.is_file():
            return 0
        capacity = self.context_tokens
        tokens = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        ok = llama_cpp.llama_state_load_file(self._llm._ctx.ctx, str(path).encode(), tokens,
                                             capacity, ctypes.byref(count))
        if not ok or count.value == 0:
            log.info("kv state %s unusable; starting cold", path)
            path.unlink(missing_ok=True)
            self._llm.reset()
            return 0
        n = int(count.value)
        self._llm.input_ids[:n] = tokens[:n]
        self._llm.n_tokens = n
        self._llm._requires_eval = True  # logits are not restored: re-decode before sampling
        return n

    def save_state(self) -> bool:
        """Write the evaluated tokens and their KV cache (atomically, owner-only)."""
        with self._lock:
            return self._save_state_locked()

    def _save_state_locked(self) -> bool:
        import llama_cpp

        path = self.state_path
        n = int(self._llm.n_tokens)
        if path is None or n == 0:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tokens = (llama_cpp.llama_token * n)(*self._llm.input_ids[:n].tolist())
        ok = llama_cpp.llama_state_save_file(self._llm._ctx.ctx, str(tmp).encode(), tokens, n)
        if not ok:
            tmp.unlink(missing_ok=True)
            return False
        os.chmod(tmp, 0o600)
        tmp.replace(path)
        return True

    def forget_state(self) -> None:
        """Drop the saved KV cache (e.g. after the person erases something)."""
        if self.state_path is not None:
            self.state_path.unlink(missing_ok=True)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8", "replace"), add_bos=False,
                                      special=True))

    async def stream(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                     stop: list[str] | None = None, max_tokens: int | None = None,
                     temperature: float | None = None, aside: bool = False) -> AsyncIterator[str]:
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
                self._abort = cancelled
                # Background work evaluates another prompt; put the conversation's KV cache
                # back afterwards so the next reply still only pays for its new tokens.
                if not aside:
                    self._generate(options, cancelled, put, save=True)
                    return
                # Background jobs share a prompt prefix too (the same instructions each time),
                # so their own evaluated state is kept between them, like the conversation's.
                conversation = self._stash()
                if self._aside_state is not None:
                    self._unstash(self._aside_state)
                try:
                    self._generate(options, cancelled, put, save=False)
                finally:
                    self._aside_state = self._stash()
                    self._unstash(conversation)

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

    def _stash(self) -> tuple[Any, int, Any, int]:
        """The conversation's KV cache and tokens (not the logits: a few MB, not hundreds)."""
        import llama_cpp

        ctx = self._llm._ctx.ctx
        n = int(self._llm.n_tokens)
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
        return buffer, int(written), self._llm.input_ids[:n].copy(), n

    def _unstash(self, saved: tuple[Any, int, Any, int]) -> None:
        import llama_cpp

        buffer, written, tokens, n = saved
        self._llm._ctx.kv_cache_clear()
        self._llm.n_tokens = 0
        if n == 0 or llama_cpp.llama_state_seq_set_data(self._llm._ctx.ctx, buffer, written, 0) == 0:
            self._llm.reset()
            return
        self._llm.input_ids[:n] = tokens
        self._llm.n_tokens = n
        self._llm._requires_eval = True  # logits weren't kept: re-decode one token first

    def _generate(self, options: dict[str, Any], cancelled: threading.Event,
                  put: Any, *, save: bool) -> None:
        finished = True
        try:
            chunks: Any = self._llm.create_chat_completion(**options)
            for chunk in chunks:
                if cancelled.is_set():
                    finished = False
                    break
                delta: Any = chunk["choices"][0]["delta"]
                piece = delta.get("content")
                if piece:
                    put(piece)
            chunks.close()
        except Exception as exc:  # noqa: BLE001 - handed to the consumer
            if cancelled.is_set():  # llama.cpp aborted the evaluation because we asked it to
                put(_END)
            else:
                put(exc)
            return
        put(_END)
        # Saved after every reply (the reader already has it all; the next reply waits for
        # the lock), so closing the window or a crash costs no cold start.
        if finished and save:
            try:
                self._save_state_locked()
            except OSError as exc:
                log.warning("couldn't save the kv state: %s", exc)

    async def aclose(self) -> None:
        try:
            self.save_state()
        except OSError as exc:  # a cache: failing to write it loses nothing
            log.warning("couldn't save the kv state: %s", exc)
        with self._lock:
            self._llm.close()
