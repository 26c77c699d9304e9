"""What a terminal command needs: config, the lock, the store, the local user, a backend.

The model loads in a background thread so that genesis questions (or the first screen) don't
wait for it.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field
from pathlib import Path

from os1.clock import Clock, SystemClock
from os1.config import Config, load_config
from os1.llm.base import ChatBackend
from os1.llm.factory import build_backend
from os1.locking import DataDirLock
from os1.models.files import Progress
from os1.store import Store, open_engine

LOCAL_USER = "local"


@dataclass
class Runtime:
    config: Config
    store: Store
    clock: Clock
    user_id: int
    lock: DataDirLock
    _backend: concurrent.futures.Future[ChatBackend] | None = field(default=None, repr=False)

    def preflight(self) -> None:
        """Raise now, not after the person has typed, if the backend can't work at all."""
        if self.config.settings.backend == "embedded":
            from os1.models.files import quick_check

            quick_check(self.config.settings.model, self.config.models_dir)

    def start_backend(self, progress: Progress | None = None) -> None:
        if self._backend is None:
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-load")
            self._backend = pool.submit(build_backend, self.config, progress)
            pool.shutdown(wait=False)

    def backend(self) -> ChatBackend:
        """The backend, waiting for it to load if needed. Raises ModelError/ConfigError."""
        self.start_backend()
        assert self._backend is not None
        return self._backend.result()

    def backend_ready(self) -> bool:
        return self._backend is not None and self._backend.done()

    def close(self) -> None:
        self.lock.release()
        self.store.engine.dispose()


def open_runtime(data_dir: str | Path | None, overrides: dict[str, object] | None = None,
                 clock: Clock | None = None) -> Runtime:
    config = load_config(data_dir, overrides=overrides)
    lock = DataDirLock(config.data_dir)
    lock.acquire()
    try:
        clock = clock or SystemClock()
        engine = open_engine(config.db_path, clock)
        store = Store(engine, clock, label=config.db_path)
        user_id = store.ensure_user(LOCAL_USER)
    except BaseException:
        lock.release()
        raise
    return Runtime(config=config, store=store, clock=clock, user_id=user_id, lock=lock)
