"""Command-line tools for background work: ``flask tasks worker``, the task consumer."""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup

from catalog.background.queue import consumer_seen, huey, queue_backend_name
from catalog.observability import JsonFormatter
from catalog.runtime import runtime

tasks_cli = AppGroup("tasks", help="Background tasks.")


@tasks_cli.command("worker")
@click.option("--workers", type=int, default=None, help="threads (default WORKER_COUNT)")
@click.option("--no-periodic", is_flag=True, help="do not run scheduled housekeeping")
def worker(workers: int | None, no_periodic: bool) -> None:
    """Run the background-task consumer until interrupted."""
    huey_log = logging.getLogger("huey")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    huey_log.addHandler(handler)
    huey_log.setLevel(logging.INFO)
    count = workers or runtime().settings.worker_count
    click.echo(f"task consumer: {count} threads on {queue_backend_name()}", err=True)
    consumer_seen()  # /readyz knows a consumer runs from its first moment
    consumer = huey.create_consumer(workers=count, worker_type="thread", periodic=not no_periodic)
    consumer.run()
