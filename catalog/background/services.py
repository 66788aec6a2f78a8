"""Reading task status records."""

from __future__ import annotations

from catalog.accounts.models import User
from catalog.background.models import TaskRecord
from catalog.database import db
from catalog.errors import NotFound


def get_task_for(actor: User, task_id: str) -> TaskRecord:
    """A task record, for whoever started it (and platform admins); 404 for anyone else."""
    record = db.session.get(TaskRecord, task_id)
    if record is None or (record.created_by_id != actor.id and not actor.is_platform_admin):
        raise NotFound("任务不存在 / No such task", details={"task_id": task_id})
    return record
