"""Reference data: industries, occupations (工种) and skill levels; edited by platform admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint
from catalog.reference import services
from catalog.reference.models import Industry, Occupation, SkillLevel
from catalog.reference.schemas import (
    IndustrySchema,
    IndustryUpdateSchema,
    OccupationCreateSchema,
    OccupationQueryArgsSchema,
    OccupationSchema,
    OccupationUpdateSchema,
    SkillLevelSchema,
    SkillLevelUpdateSchema,
)

blp = Blueprint(
    "reference", __name__, url_prefix=API_PREFIX, description="基础数据 / Reference data"
)


@blp.route("/industries")
class Industries(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, IndustrySchema(many=True))
    def get(self) -> list[Industry]:
        """Industries (行业)."""
        return services.industries()

    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(IndustrySchema)
    @blp.response(201, IndustrySchema)
    def post(self, data: dict[str, Any]) -> Industry:
        """Add an industry."""
        return services.create_industry(data)


@blp.route("/industries/<string:code>")
class IndustriesByCode(MethodView):
    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(IndustryUpdateSchema)
    @blp.response(200, IndustrySchema)
    def patch(self, changes: dict[str, Any], code: str) -> Industry:
        """Rename or reorder an industry."""
        return services.update_industry(code, changes)


@blp.route("/occupations")
class Occupations(MethodView):
    @blp.auth()
    @blp.etag
    @blp.arguments(OccupationQueryArgsSchema, location="query")
    @blp.response(200, OccupationSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Occupation]:
        """Occupations with their national classification codes, optionally of one industry."""
        return services.occupations(args["industry"])

    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(OccupationCreateSchema)
    @blp.response(201, OccupationSchema)
    def post(self, data: dict[str, Any]) -> Occupation:
        """Add an occupation."""
        return services.create_occupation(data)


@blp.route("/occupations/<string:code>")
class OccupationsByCode(MethodView):
    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(OccupationUpdateSchema)
    @blp.response(200, OccupationSchema)
    def patch(self, changes: dict[str, Any], code: str) -> Occupation:
        """Rename an occupation or move it to another industry."""
        return services.update_occupation(code, changes)


@blp.route("/skill-levels")
class SkillLevels(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, SkillLevelSchema(many=True))
    def get(self) -> list[SkillLevel]:
        """The five national skill levels, 5 (初级工) to 1 (高级技师)."""
        return services.skill_levels()


@blp.route("/skill-levels/<int:level>")
class SkillLevelsByLevel(MethodView):
    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(SkillLevelUpdateSchema)
    @blp.response(200, SkillLevelSchema)
    def patch(self, changes: dict[str, Any], level: int) -> SkillLevel:
        """Change a level's labels."""
        return services.update_skill_level(level, changes)
