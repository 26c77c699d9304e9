"""``os1 config``: secrets never printed; the config file is private."""

from __future__ import annotations

import stat

from tests.cli.helpers import finish, plain, transcript

SECRET_ENV = "sk-secret-123"
SECRET_FILE = "sk-secret-456"


def mode(path) -> int:  # type: ignore[no-untyped-def]
    return stat.S_IMODE(path.stat().st_mode)


def test_config_show_never_prints_an_api_key(os1):
    os1.env["OS1_OPENAI_API_KEY"] = SECRET_ENV
    config = os1.home / "config.toml"
    os1.home.mkdir(parents=True)
    config.write_text('context_tokens = 4096\n')
    config.chmod(0o644)

    result = os1.run("config", "set", "openai.api_key", SECRET_FILE)
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 0, out
    assert "openai.api_key = (hidden)" in out
    assert SECRET_FILE not in out and SECRET_ENV not in out
    assert mode(config) == 0o600
    assert SECRET_FILE in config.read_text()  # stored, for os1 to use

    shown = os1.run("config", "show")
    out = plain(shown.stdout + shown.stderr)
    assert shown.returncode == 0, out
    assert "openai.api_key (set, hidden) $OS1_OPENAI_API_KEY" in out
    assert SECRET_FILE not in out and SECRET_ENV not in out and "sk-secret" not in out

    child = os1.spawn("config", "show")  # in a terminal, too
    assert finish(child) == 0
    assert "(set, hidden)" in transcript(child) and "sk-secret" not in transcript(child)

    del os1.env["OS1_OPENAI_API_KEY"]  # now only the file holds one
    shown = os1.run("config", "show")
    out = plain(shown.stdout + shown.stderr)
    assert "openai.api_key (set, hidden) config file" in out
    assert "sk-secret" not in out
    assert mode(config) == 0o600


def test_a_new_config_file_is_private_from_the_start(os1):
    result = os1.run("config", "set", "openai.api_key", SECRET_FILE)
    assert result.returncode == 0
    assert mode(os1.home / "config.toml") == 0o600
    assert SECRET_FILE not in plain(result.stdout + result.stderr)
    leftovers = [p.name for p in os1.home.iterdir() if p.name != "config.toml"]
    assert leftovers == []


def test_an_invalid_setting_does_not_echo_a_secret(os1):
    os1.env["OS1_OPENAI_API_KEY"] = SECRET_ENV
    os1.env["OS1_CONTEXT_TOKENS"] = "lots"  # makes loading the config fail
    result = os1.run("config", "show")
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 1
    assert "context_tokens" in out and "$OS1_CONTEXT_TOKENS" in out
    assert "sk-secret" not in out and "Traceback" not in out
