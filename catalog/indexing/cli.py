"""Command-line tools for the search indexes: ``flask search reindex|status|drain``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from catalog.indexing import documents
from catalog.indexing import services as search

search_cli = AppGroup("search", help="The search indexes.")


@search_cli.command("reindex")
@click.option(
    "--index",
    "names",
    multiple=True,
    type=click.Choice(["courses", "microlectures", "questions"]),
    help="repeat for several; default all",
)
def reindex(names: tuple[str, ...]) -> None:
    """Rebuild indexes from the database and swap them in atomically."""
    with Progress() as bar:
        for name in names or tuple(documents.INDEXES):
            task = bar.add_task(f"reindex {name}", total=documents.count(name) or 1)

            def advance(n: int, task: TaskID = task) -> None:
                bar.advance(task, n)

            count = search.reindex(name, advance)
            bar.update(task, completed=count or 1)
    applied = search.drain()  # changes made while rebuilding, replayed onto the new index
    click.echo("reindexed: " + ", ".join(names or tuple(documents.INDEXES)) + f"; {applied}")


@search_cli.command("status")
def search_status() -> None:
    """Documents per index (and how many the database holds), and the outbox lag."""
    found = search.status()
    table = Table("index", "documents", "in the database")
    for name, expected in found["expected"].items():
        table.add_row(name, str(found["documents"].get(name, "—")), str(expected))
    console = Console()
    console.print(table)
    lag = found["outbox"]
    console.print(f"outbox: {lag['pending']} pending, oldest {lag['oldest'] or '—'}")


@search_cli.command("drain")
def search_drain() -> None:
    """Apply pending outbox rows now."""
    click.echo(search.drain())
