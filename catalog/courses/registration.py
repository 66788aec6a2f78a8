"""Plugs courses into the app: the learners' catalogue, assignments, authoring."""

from __future__ import annotations

from flask import Flask

from catalog.api import authoring_courses, courses
from catalog.extensions import api


def register(app: Flask) -> None:
    for blueprint in (courses.blp, courses.assignments_blp, authoring_courses.blp):
        api.register_blueprint(blueprint)
