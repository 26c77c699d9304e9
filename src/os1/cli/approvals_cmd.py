"""``os1 approvals``: actions waiting for the person, and the audit log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from os1.cli.terminal import console, opened_services

app = typer.Typer(help="Actions waiting for your approval, and the audit log of "
                       "everything proposed and done.", invoke_without_command=True)


@app.callback()
def approvals_list(ctx: typer.Context,
                   audit: Annotated[bool, typer.Option(help="Show the audit log")] = False) -> None:
    """What is waiting for you (approve it in os1 chat: /approve N)."""
    if ctx.invoked_subcommand is not None:
        return
    from os1.tools.approvals import Approvals

    with opened_services(ctx) as (runtime, _services):
        approvals = Approvals(runtime.store, runtime.user_id, runtime.clock)
        if audit:
            for entry in reversed(approvals.audit()):
                console.print(f"{entry.at.astimezone():%Y-%m-%d %H:%M}  #{entry.proposal_id}  "
                              f"{entry.event:9} {escape(entry.tool)}  "
                              f"[dim]{escape(entry.detail[:100])}[/]")
            return
        waiting = approvals.pending()
        if not waiting:
            console.print("Nothing is waiting for you.")
        for p in waiting:
            console.print(f"[bold]#{p.id}[/] {escape(p.preview.render())}\n")
