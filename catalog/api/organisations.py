"""Organisations: enterprises, schools, union branches and alliances."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts import services
from catalog.accounts.models import Organisation, Role
from catalog.accounts.schemas import OrganisationCreateSchema, OrganisationSchema, PageArgsSchema
from catalog.api import API_PREFIX, Blueprint, page_schema
from catalog.api.paging import paginate

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix=f"{API_PREFIX}/organisations",
    description="组织 / Organisations",
)

OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPageSchema")


@blp.route("")
class Organisations(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, OrganisationPageSchema)
    def get(self, args: dict[str, int]) -> dict[str, Any]:
        """List organisations: all for a platform admin, their own for an admin."""
        return paginate(services.organisations_visible_to(current_user), **args)

    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(OrganisationCreateSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data: dict[str, Any]) -> Organisation:
        """Create an organisation (platform admins)."""
        return services.create_organisation(**data)
