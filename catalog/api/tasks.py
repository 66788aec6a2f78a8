"""Status of background tasks (imports, media processing, …)."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.api import API_PREFIX, Blueprint
from catalog.background.models import TaskRecord
from catalog.background.schemas import TaskSchema
from catalog.background.services import get_task_for

blp = Blueprint("tasks", __name__, url_prefix=f"{API_PREFIX}/tasks", description="后台任务 / Tasks")


@blp.route("/<string:task_id>")
class TasksById(MethodView):
    @blp.auth()
    @blp.response(200, TaskSchema)
    def get(self, task_id: str) -> TaskRecord:
        """Status and progress of a task you started."""
        return get_task_for(current_user, task_id)
