"""Plugs courses into the app: the learners' catalogue, assignments, authoring."""

from __future__ import annotations

from flask import Flask

from catalog.accounts import departments, personal
from catalog.api import authoring_courses, courses
from catalog.courses import enrolment
from catalog.courses.models import Assignment, Enrolment
from catalog.extensions import api


def register(app: Flask) -> None:
    for blueprint in (courses.blp, courses.assignments_blp, authoring_courses.blp):
        api.register_blueprint(blueprint)
    if enrolment.follow_merge not in departments.MERGE_HOOKS:
        departments.MERGE_HOOKS.append(enrolment.follow_merge)
    if enrolment.refuse_named_department not in departments.DELETE_CHECKS:
        departments.DELETE_CHECKS.append(enrolment.refuse_named_department)
    personal.register("enrolments", Enrolment, Enrolment.user_id)
    personal.register("assignments", Assignment, Assignment.user_id)
