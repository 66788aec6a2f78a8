"""Departments: branches, workshops and teams (分公司 / 车间 / 班组) inside an organisation."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts import departments
from catalog.accounts.models import Department, Role
from catalog.accounts.schemas import (
    DepartmentArgsSchema,
    DepartmentBriefSchema,
    DepartmentCreateSchema,
    DepartmentListSchema,
    DepartmentMergeSchema,
    DepartmentUpdateSchema,
)
from catalog.api import API_PREFIX, Blueprint

blp = Blueprint(
    "departments",
    __name__,
    url_prefix=f"{API_PREFIX}/departments",
    description="部门 / Departments",
)


@blp.route("")
class Departments(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(DepartmentArgsSchema, location="query")
    @blp.response(200, DepartmentListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The tree the admin manages, parents first, with members and subtree totals."""
        return {"items": departments.tree(current_user, args["organisation_code"])}

    @blp.auth(Role.ADMIN)
    @blp.arguments(DepartmentCreateSchema)
    @blp.response(201, DepartmentBriefSchema)
    def post(self, data: dict[str, Any]) -> Department:
        """Add a department (a scoped admin: below their own)."""
        return departments.create_department(current_user, **data)


@blp.route("/<int:department_id>")
class OneDepartment(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(DepartmentUpdateSchema)
    @blp.response(200, DepartmentBriefSchema)
    def patch(self, changes: dict[str, Any], department_id: int) -> Department:
        """Rename, or move under another department (``parent_id``; null: to the top)."""
        department = departments.get_department(current_user, department_id)
        if "name" in changes:
            department = departments.rename_department(current_user, department_id, changes["name"])
        if "parent_id" in changes:
            department = departments.move_department(
                current_user, department_id, changes["parent_id"]
            )
        return department

    @blp.auth(Role.ADMIN)
    @blp.response(204)
    def delete(self, department_id: int) -> None:
        """Delete an empty department (no members, nothing below it)."""
        departments.delete_department(current_user, department_id)


@blp.route("/<int:department_id>/merge")
class MergeDepartment(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(DepartmentMergeSchema)
    @blp.response(200, DepartmentBriefSchema)
    def post(self, data: dict[str, Any], department_id: int) -> Department:
        """Merge this department into ``target_id``: its members and teams move there, and it
        goes."""
        return departments.merge_departments(current_user, department_id, data["target_id"])
