"""The lectures' background tasks: media processing after an upload, and the clean-up of
uploads abandoned before completion."""

from __future__ import annotations

from typing import Any

from huey import crontab

from catalog.background.queue import Progress, schedule, tracked_task
from catalog.lectures import processing


@tracked_task()
def process_media(progress: Progress, upload_id: str) -> dict[str, Any]:
    """Probe an uploaded file, make its thumbnail and renditions, and make it the lecture's media.

    Anything that is not audio or video, or is damaged, ends the upload ``failed`` with a
    readable reason, and every object it produced (the original too) is deleted.
    """
    return processing.process_upload(upload_id, progress)


@tracked_task()
def expire_uploads(progress: Progress) -> dict[str, int]:
    """Abandon uploads not completed in time and delete what they left in storage."""
    return {"expired": processing.expire_abandoned_uploads()}


schedule(expire_uploads, crontab(minute="*/30"))  # and staging files, at least hourly
