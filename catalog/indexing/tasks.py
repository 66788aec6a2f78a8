"""Search-index tasks: draining the outbox after commits and on a schedule, purging done rows."""

from __future__ import annotations

from huey import crontab

from catalog.background.queue import Progress, app_context, huey, tracked_task
from catalog.indexing import documents, drain, services


@huey.task(name="drain_search_outbox")
def drain_outbox() -> dict[str, int]:
    with app_context():
        counts = services.drain()
    if counts["more"]:
        drain_outbox()  # a big import: keep going in a fresh task rather than wait a minute
    return counts


def drain_soon() -> None:
    """Ask the consumer to drain now (inline when tasks are immediate)."""
    drain_outbox()


@huey.periodic_task(crontab(minute="*"), name="drain_search_outbox_on_schedule")
def drain_on_schedule() -> None:
    """Catches up after the engine was down (rows wait with back-off until then), and
    rebuilds an index built otherwise than it should be (after an upgrade)."""
    with app_context():
        services.drain()
        services.rebuild_stale()


@huey.periodic_task(crontab(minute="41", hour="4"), name="purge_search_outbox")
def purge() -> None:
    with app_context():
        drain.purge_done()


@tracked_task()
def reindex_all(progress: Progress) -> dict[str, int]:
    """Rebuild every index (after the vocabulary changed: words are cut anew), one by one,
    each swapped in when complete, so searches meanwhile answer from the old one."""
    counts = {}
    names = list(documents.INDEXES)
    for done, name in enumerate(names):
        progress(int(100 * done / len(names)), f"重建索引 {name} / rebuilding {name}")
        counts[name] = services.reindex(name)
    return counts
