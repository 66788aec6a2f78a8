"""Plugs learning history into the app: statements, progress, history, training reports."""

from __future__ import annotations

from flask import Flask

from catalog.accounts import personal
from catalog.api import learning, reports
from catalog.extensions import api
from catalog.learning.models import (
    LectureProgress,
    Statement,
    StudyTime,
    TrainingActivity,
    WatchClock,
)


def register(app: Flask) -> None:
    for blueprint in (learning.blp, reports.blp):
        api.register_blueprint(blueprint)
    personal.register("learning_statements", Statement, Statement.user_id)
    personal.register("lecture_progress", LectureProgress, LectureProgress.user_id)
    personal.register("watch_clocks", WatchClock, WatchClock.user_id)
    personal.register("study_time", StudyTime, StudyTime.user_id)
    personal.register("training_activity", TrainingActivity, TrainingActivity.user_id)
