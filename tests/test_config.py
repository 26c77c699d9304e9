from __future__ import annotations

import stat
from pathlib import Path

import pytest

from os1.config import load_config, public_settings, set_setting
from os1.errors import ConfigError


def test_defaults_then_file_then_env_then_flags(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.settings.backend == "embedded" and config.sources == {}
    set_setting(config, "context_tokens", "2048")
    config = load_config(tmp_path, env={"OS1_CONTEXT_TOKENS": "8192"})
    assert config.settings.context_tokens == 8192
    assert config.sources["context_tokens"] == "$OS1_CONTEXT_TOKENS"
    config = load_config(tmp_path, env={}, overrides={"context_tokens": 1024})
    assert config.settings.context_tokens == 1024


def test_data_dir_from_env(tmp_path: Path) -> None:
    assert load_config(env={"OS1_HOME": str(tmp_path / "x")}).data_dir == tmp_path / "x"


def test_invalid_values_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="context_tokens"):
        load_config(tmp_path, env={"OS1_CONTEXT_TOKENS": "lots"})
    config = load_config(tmp_path, env={})
    with pytest.raises(ConfigError, match="no setting called"):
        set_setting(config, "colour", "blue")
    with pytest.raises(ConfigError):
        set_setting(config, "openai.base_url", "ftp://nope")


def test_broken_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("backend = [unclosed")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    assert "mv" in info.value.fix


def test_secrets_are_hidden_and_file_private(tmp_path: Path) -> None:
    config = set_setting(load_config(tmp_path, env={}), "openai.api_key", "sk-very-secret")
    shown = public_settings(config)
    assert shown["openai.api_key"] == "(set, hidden)"
    assert "sk-very-secret" not in repr(config) and "sk-very-secret" not in str(shown)
    assert stat.S_IMODE(config.config_path.stat().st_mode) == 0o600
    assert config.settings.openai.api_key.get_secret_value() == "sk-very-secret"


def test_data_dir_may_follow_the_subcommand() -> None:
    from os1.cli.main import hoist_global_options

    assert hoist_global_options(["config", "show", "--data-dir", "/x"]) == [
        "--data-dir", "/x", "config", "show"]
    assert hoist_global_options(["chat", "--data-dir=/y"]) == ["--data-dir=/y", "chat"]
    assert hoist_global_options(["config", "set", "model", "m"]) == ["config", "set", "model", "m"]
