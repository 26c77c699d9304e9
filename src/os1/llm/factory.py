"""Build the backend the config asks for."""

from __future__ import annotations

from os1.config import Config
from os1.llm.base import ChatBackend
from os1.models.files import Progress, resolve_model


def build_backend(config: Config, progress: Progress | None = None, *,
                  keep_state: bool = True) -> ChatBackend:
    """``keep_state``: the embedded model saves its evaluated conversation (KV cache) to the
    data folder. One person's terminal wants it; a server must not (it would keep one
    person's conversation on disk for the next)."""
    settings = config.settings
    if settings.backend == "openai":
        from os1.llm.openai_compat import OpenAICompatBackend

        key = settings.openai.api_key.get_secret_value() if settings.openai.api_key else None
        return OpenAICompatBackend(
            settings.openai.base_url, settings.openai.model, api_key=key,
            context_tokens=settings.context_tokens, max_reply_tokens=settings.max_reply_tokens,
            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)
    from os1.llm.embedded import EmbeddedBackend

    path, _spec = resolve_model(settings.model, config.models_dir, progress)
    return EmbeddedBackend(path, context_tokens=settings.context_tokens, threads=settings.threads,
                           max_reply_tokens=settings.max_reply_tokens,
                           state_dir=config.data_dir / "cache" if keep_state else None)
