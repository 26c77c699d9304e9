"""Fixtures for the end-to-end tests of the ``os1`` command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.helpers import Os1
from tests.fakes.openai_server import ScriptedModelServer


@pytest.fixture
def model_server() -> Iterator[ScriptedModelServer]:
    """The scripted OpenAI-compatible model server; tests push replies onto ``.replies``."""
    with ScriptedModelServer(delay=0.002) as server:
        yield server


@pytest.fixture
def os1_env(cli_env: dict[str, str], model_server: ScriptedModelServer) -> dict[str, str]:
    """cli_env, talking to the scripted server. Wide columns keep messages on one line."""
    env = dict(cli_env)
    env.update({"OS1_BACKEND": "openai", "OS1_OPENAI_BASE_URL": model_server.url,
                "COLUMNS": "200"})
    return env


@pytest.fixture
def os1(os1_env: dict[str, str]) -> Iterator[Os1]:
    runner = Os1(os1_env)
    yield runner
    runner.close()
