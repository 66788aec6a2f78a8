"""Evaluation tasks: applications whose validity has ended lapse, hourly, whether or not
anybody opens them (reports count them as they are)."""

from __future__ import annotations

from huey import crontab

from catalog.background.queue import app_context, huey
from catalog.evaluation import results


@huey.periodic_task(crontab(minute="17"), name="lapse_overdue_applications")
def lapse_overdue_applications() -> int:
    with app_context():
        return results.lapse_overdue()
