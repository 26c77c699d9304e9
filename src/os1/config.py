"""Where os1 keeps things, and how it is set up.

Precedence, lowest to highest: built-in defaults, ``config.toml`` in the data directory,
environment variables (``OS1_*``), command-line flags. Nothing is read at import time:
``load_config`` is called by the surface that needs it, so a server can hold many.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from os1.errors import ConfigError

CONFIG_FILE = "config.toml"
DB_FILE = "os1.db"


class OpenAIBackendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "default"
    api_key: SecretStr | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class Settings(BaseModel):
    """The settings a person can change (``os1 config set KEY VALUE``)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["embedded", "openai"] = "embedded"
    # A catalog name (see ``os1 models list``) or a path to any GGUF file.
    model: str = "qwen2.5-coder-1.5b"
    context_tokens: int = Field(default=4096, ge=512, le=131072)
    max_reply_tokens: int = Field(default=512, ge=16, le=8192)
    threads: int | None = Field(default=None, ge=1, le=256)
    # Seconds to wait for a server to accept a connection, and between streamed tokens.
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=120.0, gt=0)
    openai: OpenAIBackendConfig = Field(default_factory=OpenAIBackendConfig)
    # Long-term memory: learn from conversations in the background and recall before replies.
    memory: bool = True
    # Seconds of quiet after a reply before background learning uses the model.
    memory_idle_seconds: float = Field(default=1.5, ge=0, le=3600)
    # Emotion-awareness: let how the person seems shape replies (messages are read and kept
    # on the mood timeline either way; the self-harm safety reply is always on).
    emotion: bool = True
    # The companion's spoken voice: empty means the one chosen at genesis (male: Piper's joe;
    # female: the most natural one installed); or an engine name (os1 talk --voices lists
    # them), or a path to any Piper voice (.onnx, with its .onnx.json beside it).
    voice: str = ""
    # Speech-to-text: Whisper "tiny.en" (quick: the default) or "base" (more accurate, slower).
    stt_model: Literal["tiny.en", "base"] = "tiny.en"


ENV_VARS: dict[str, str] = {
    "OS1_BACKEND": "backend",
    "OS1_MODEL": "model",
    "OS1_CONTEXT_TOKENS": "context_tokens",
    "OS1_MAX_REPLY_TOKENS": "max_reply_tokens",
    "OS1_THREADS": "threads",
    "OS1_CONNECT_TIMEOUT": "connect_timeout",
    "OS1_READ_TIMEOUT": "read_timeout",
    "OS1_OPENAI_BASE_URL": "openai.base_url",
    "OS1_OPENAI_MODEL": "openai.model",
    "OS1_OPENAI_API_KEY": "openai.api_key",
    "OS1_MEMORY": "memory",
    "OS1_MEMORY_IDLE_SECONDS": "memory_idle_seconds",
    "OS1_EMOTION": "emotion",
    "OS1_VOICE": "voice",
    "OS1_STT_MODEL": "stt_model",
}


@dataclass(frozen=True)
class Config:
    data_dir: Path
    settings: Settings
    sources: dict[str, str]  # setting key -> where its value came from
    models_root: Path

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_FILE

    @property
    def models_dir(self) -> Path:
        """Assembled models are rebuilt from packages at will, so they live in the cache,
        shared by every data directory (OS1_MODELS_DIR to move them)."""
        return self.models_root


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("os1", appauthor=False))


def resolve_data_dir(flag: str | Path | None = None, env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    raw = flag or env.get("OS1_HOME") or default_data_dir()
    return Path(raw).expanduser().resolve()


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"The config file {path} can't be read: {exc}.",
            f"Fix it by hand, or move it aside (mv {path} {path}.bak) to start from defaults.",
        ) from exc
    except OSError as exc:
        raise ConfigError(f"The config file {path} can't be opened: {exc.strerror}.",
                          "Check its permissions.") from exc


def load_config(
    data_dir: str | Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    env = dict(os.environ) if env is None else env
    directory = resolve_data_dir(data_dir, env)
    raw = read_config_file(directory / CONFIG_FILE)
    sources = {key: "config file" for key in _flatten(raw)}
    for var, key in ENV_VARS.items():
        if env.get(var):
            _set_dotted(raw, key, env[var])
            sources[key] = f"${var}"
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(raw, key, value)
            sources[key] = "command line"
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{key} ({sources.get(key, 'config')}): {err['msg']}"
            for err in exc.errors()
            for key in [".".join(str(p) for p in err["loc"])]
        )
        raise ConfigError(
            f"Some settings aren't valid: {problems}.",
            f"Fix them with 'os1 config set KEY VALUE' or edit {directory / CONFIG_FILE}.",
        ) from exc
    models = Path(env.get("OS1_MODELS_DIR") or platformdirs.user_cache_dir("os1", appauthor=False)
                  + "/models").expanduser().resolve()
    return Config(data_dir=directory, settings=settings, sources=sources, models_root=models)


def set_setting(config: Config, key: str, value: str) -> Config:
    """Validate and write one setting to the config file; returns the new config."""
    raw = read_config_file(config.config_path)
    if key not in _flatten(Settings().model_dump()) and key != "openai.api_key":
        known = ", ".join(sorted(_flatten(Settings().model_dump())))
        raise ConfigError(f"There is no setting called '{key}'.", f"Known settings: {known}.")
    _set_dotted(raw, key, value)
    try:
        Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"'{value}' isn't a valid value for {key}: {exc.errors()[0]['msg']}.") from exc
    config.data_dir.mkdir(parents=True, exist_ok=True)
    tmp = config.config_path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(raw), encoding="utf-8")
    os.chmod(tmp, 0o600)  # it may hold an API key
    tmp.replace(config.config_path)
    return load_config(config.data_dir)


def public_settings(config: Config) -> dict[str, Any]:
    """Settings as they may be shown: secrets replaced by whether they are set."""
    flat = _flatten(config.settings.model_dump())
    shown: dict[str, Any] = {}
    for key, value in flat.items():
        if isinstance(value, SecretStr):
            value = "(set, hidden)" if value.get_secret_value() else "(not set)"
        elif key.endswith("api_key") and value is None:
            value = "(not set)"
        shown[key] = value
    return shown
