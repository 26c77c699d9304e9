"""``os1 serve``: the server: accounts, the web page, the API, for many people at once."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer

from os1.cli.terminal import console
from os1.config import load_config
from os1.errors import ConfigError
from os1.llm.factory import build_backend

SERVER_DB = "server.db"


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    database_url: str = typer.Option(
        None, "--database-url", envvar="OS1_DATABASE_URL",
        help="postgresql://user:password@host/db (default: SQLite in the data folder)."),
    redis_url: str = typer.Option(
        None, "--redis-url", envvar="OS1_REDIS_URL",
        help="redis://host:6379/0, when several server processes share the work."),
    secure_cookies: bool = typer.Option(
        None, "--secure-cookies/--no-secure-cookies",
        help="Mark cookies Secure (default: when the request came over https)."),
    no_learn: bool = typer.Option(False, "--no-learn", help="Don't learn memories here "
                                  "(another process does)."),
) -> None:
    """Serve os1 to many people: accounts, the web page, and an OpenAI-compatible API."""
    import uvicorn

    from os1.server import ServerOptions, create_app

    data_dir = ctx.obj.get("data_dir") if ctx.obj else None
    config = load_config(data_dir)
    if database_url and not database_url.startswith(("postgresql://", "postgres://",
                                                     "postgresql+psycopg://", "sqlite:///")):
        raise ConfigError("--database-url must be a postgresql://… (or sqlite:///…) URL.",
                          "For example: postgresql://os1:secret@localhost/os1")
    database: str | Path = database_url or config.data_dir / SERVER_DB
    options = ServerOptions(database=database, redis_url=redis_url, secure_cookies=secure_cookies,
                            reply_tokens=config.settings.max_reply_tokens, learn=not no_learn,
                            # Mail and calendar passwords; several processes on one
                            # database share it through OS1_SECRET_KEY.
                            secret_key_file=config.data_dir / "secret.key",
                            people_dir=config.data_dir / "people",
                            extra={"stt_model": config.settings.stt_model,
                                   "models_dir": str(config.models_dir),
                                   "voice_threads": config.settings.threads})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with console.status("  [dim]loading the model[/]", spinner="dots"):
        backend = build_backend(config, keep_state=False)
        app = create_app(options, backend=backend)
    where = "PostgreSQL" if database_url else f"SQLite ({database})"
    console.print(f"os1 is serving on [bold]http://{host}:{port}[/] — open it in a browser. "
                  f"Data: {where}" + (", events through Redis" if redis_url else "") + ".")
    console.print("[dim]Ctrl-C stops it. Conversations are saved as they happen.[/]")
    # No permessage-deflate: its zlib state is ~35 KB per open socket (half of an idle
    # session's memory, benchmarks/server_sessions.py), for little gain on small chat frames.
    uvicorn.run(app, host=host, port=port, ws_max_size=1024 * 1024, log_level="warning",
                ws_per_message_deflate=False,
                proxy_headers=True, timeout_graceful_shutdown=5,
                backlog=int(os.environ.get("OS1_BACKLOG", "2048")))
