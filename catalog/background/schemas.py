"""Schema of a background task's status record."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from catalog.background.models import TaskStatus
from catalog.fields import AwareDateTime


class TaskSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    status = fields.Enum(TaskStatus, by_value=True)
    progress = fields.Integer(metadata={"description": "0–100"})
    message = fields.String(allow_none=True, metadata={"description": "中文 / English"})
    result = fields.Dict(allow_none=True)
    created_at = AwareDateTime()
    started_at = AwareDateTime(allow_none=True)
    finished_at = AwareDateTime(allow_none=True)
