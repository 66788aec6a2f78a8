"""Command-line tools: ``flask orgs``, ``users``, ``tasks worker`` and ``demo load``."""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import AppGroup

from catalog.accounts import services as accounts
from catalog.accounts.models import OrganisationKind, Role
from catalog.errors import DomainError

orgs_cli = AppGroup("orgs", help="Organisations (企业/学校/工会).")
users_cli = AppGroup("users", help="User accounts.")
tasks_cli = AppGroup("tasks", help="Background tasks.")
demo_cli = AppGroup("demo", help="Demo data for development.")


def _fail(error: DomainError) -> click.ClickException:
    return click.ClickException(f"{error.message} {error.details or ''}".strip())


@orgs_cli.command("create")
@click.option("--code", required=True, help="short unique code, e.g. sgcc-beijing")
@click.option("--name", required=True, help="display name, e.g. 国网北京电力")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default="enterprise",
    show_default=True,
)
def create_org(code: str, name: str, kind: str) -> None:
    """Create an organisation."""
    try:
        org = accounts.create_organisation(code=code, name=name, kind=OrganisationKind(kind))
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"organisation {org.code} created (id {org.id})")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", default="", help="display name (defaults to username)")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="repeat for several roles; default learner",
)
@click.option("--org", "org_code", default=None, help="organisation code")
@click.password_option(help="prompted for when not given")
def create_user(
    username: str, display_name: str, roles: tuple[str, ...], org_code: str | None, password: str
) -> None:
    """Create a user with one or more roles."""
    try:
        organisation = accounts.get_organisation_by_code(org_code) if org_code else None
        user = accounts.create_user(
            username=username,
            display_name=display_name,
            password=password,
            roles=[Role(r) for r in roles],
            organisation=organisation,
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"user {user.username} created (id {user.id}, roles {sorted(user.roles)})")


@tasks_cli.command("worker")
@click.option("--workers", type=int, default=None, help="threads (default WORKER_COUNT)")
@click.option("--no-periodic", is_flag=True, help="do not run scheduled housekeeping")
def worker(workers: int | None, no_periodic: bool) -> None:
    """Run the background-task consumer until interrupted."""
    from catalog.background.queue import huey, queue_backend_name
    from catalog.observability import JsonFormatter
    from catalog.registry import services

    huey_log = logging.getLogger("huey")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    huey_log.addHandler(handler)
    huey_log.setLevel(logging.INFO)
    count = workers or services().settings.worker_count
    click.echo(f"task consumer: {count} threads on {queue_backend_name()}", err=True)
    consumer = huey.create_consumer(workers=count, worker_type="thread", periodic=not no_periodic)
    consumer.run()


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo data when it is missing (safe to run again)."""
    from catalog.demo import load_demo_data

    for line in load_demo_data():
        click.echo(line)


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
    from rich.progress import Progress, TaskID

    from search import documents
    from search import services as search

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
    from rich.console import Console
    from rich.table import Table

    from search import services as search

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
    from search import services as search

    click.echo(search.drain())


def register(app: Flask) -> None:
    for group in (orgs_cli, users_cli, tasks_cli, demo_cli, search_cli):
        app.cli.add_command(group)
