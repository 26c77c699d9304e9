"""``os1 config``: show where things are and how os1 is set up; change a setting."""

from __future__ import annotations

import typer
from rich.table import Table

from os1.cli.terminal import console
from os1.config import load_config, public_settings, set_setting

app = typer.Typer(help="Show or change settings.", no_args_is_help=True)


@app.command()
def show(ctx: typer.Context) -> None:
    """Print the data directory, the files, and every setting with where it came from."""
    config = load_config(ctx.obj.get("data_dir"))
    console.print(f"data directory  {config.data_dir}")
    console.print(f"config file     {config.config_path}"
                  + ("" if config.config_path.exists() else " (not created yet: all defaults)"))
    console.print(f"database        {config.db_path}\n")
    table = Table("setting", "value", "from", box=None)
    for key, value in public_settings(config).items():
        table.add_row(key, str(value), config.sources.get(key, "default"))
    console.print(table)


@app.command("set")
def set_(ctx: typer.Context, key: str, value: str) -> None:
    """Change one setting in the config file (e.g. os1 config set backend openai)."""
    config = load_config(ctx.obj.get("data_dir"))
    set_setting(config, key, value)
    shown = "(hidden)" if "key" in key else value
    console.print(f"{key} = {shown}  [dim]saved in {config.config_path}[/]")


@app.command()
def path(ctx: typer.Context) -> None:
    """Print the data directory."""
    console.print(str(load_config(ctx.obj.get("data_dir")).data_dir))
