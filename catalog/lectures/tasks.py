"""The lectures' background tasks: media processing after an upload, and the clean-up of
uploads abandoned before completion."""

from __future__ import annotations

from typing import Any

from huey import crontab
from sqlalchemy import select

from catalog.background.isolation import run_job
from catalog.background.queue import Progress, TaskFailure, schedule, tracked_task
from catalog.database import db
from catalog.lectures import processing
from catalog.lectures.models import MediaUpload


def _lost_media(task_id: str) -> None:
    upload = db.session.scalar(select(MediaUpload).where(MediaUpload.task_id == task_id))
    if upload is not None:
        processing.fail_upload(
            upload.id, "处理进程已停止，请重新上传 / Processing stopped; upload again"
        )


@tracked_task(on_lost=_lost_media)
def process_media(progress: Progress, upload_id: str) -> dict[str, Any]:
    """Probe an uploaded file, make its thumbnail and renditions, and make it the lecture's media.

    Anything that is not audio or video, or is damaged, ends the upload ``failed`` with a
    readable reason, and every object it produced (the original too) is deleted.
    """
    try:
        return run_job("catalog.lectures.processing:process_upload", (upload_id,), progress)
    except TaskFailure as failure:
        processing.fail_upload(upload_id, str(failure))  # the child may have died mid-way
        raise


@tracked_task()
def expire_uploads(progress: Progress) -> dict[str, int]:
    """Abandon uploads not completed in time and delete what they left in storage."""
    return {"expired": processing.expire_abandoned_uploads()}


schedule(expire_uploads, crontab(minute="*/30"))  # and staging files, at least hourly
