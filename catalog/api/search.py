"""Search: the published catalogue for everyone, questions for their editors."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint
from catalog.errors import ErrorResponseSchema
from catalog.indexing import services
from catalog.indexing.schemas import (
    CatalogueSearchArgsSchema,
    CatalogueSearchSchema,
    QuestionSearchArgsSchema,
    SearchResultSchema,
    SynonymsSchema,
    VocabularyChangeSchema,
    VocabularySchema,
)
from catalog.indexing.tasks import reindex_all
from search.interfaces import SearchResult

blp = Blueprint("search", __name__, url_prefix=f"{API_PREFIX}/search", description="搜索 / Search")
UNAVAILABLE = {"schema": ErrorResponseSchema, "description": "搜索暂不可用 / search is down"}


@blp.route("")
class Search(MethodView):
    @blp.auth()
    @blp.arguments(CatalogueSearchArgsSchema, location="query")
    @blp.response(200, CatalogueSearchSchema)
    @blp.alt_response(503, **UNAVAILABLE)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search published courses or microlectures, in Chinese, Traditional or pinyin."""
        found = services.search_catalogue(**args)
        return {"type": found.type, **found.result.__dict__, "hits": found.hits}


@blp.route("/questions")
class SearchQuestions(MethodView):
    @blp.auth(Role.INSTRUCTOR, Role.EDITOR, Role.ADMIN)
    @blp.arguments(QuestionSearchArgsSchema, location="query")
    @blp.response(200, SearchResultSchema)
    @blp.alt_response(503, **UNAVAILABLE)
    def get(self, args: dict[str, Any]) -> SearchResult:
        """Search questions of the banks you may edit, by text, bank, type, difficulty, …"""
        return services.search_questions(current_user, **args)


@blp.route("/synonyms")
class Synonyms(MethodView):
    @blp.auth(Role.EDITOR, Role.ADMIN)
    @blp.response(200, SynonymsSchema)
    def get(self) -> dict[str, list[list[str]]]:
        """Groups of trade terms searched as one (变电站 ↔ 变电所)."""
        return {"groups": [[k, *v] for k, v in services.synonyms().items()]}

    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(SynonymsSchema)
    @blp.response(200, SynonymsSchema)
    def put(self, data: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
        """Replace the synonym groups (applied to every index at once)."""
        return {"groups": services.set_synonyms(data["groups"])}


@blp.route("/vocabulary")
class Vocabulary(MethodView):
    @blp.auth(Role.EDITOR, Role.ADMIN)
    @blp.response(200, VocabularySchema)
    def get(self) -> dict[str, list[str]]:
        """The industry vocabulary the segmenter keeps whole (倒闸操作, 两票三制): built in,
        and added by the platform's admins."""
        return {
            "builtin": list(services.builtin_vocabulary()),
            "terms": services.added_vocabulary(),
        }

    @blp.auth(Role.PLATFORM_ADMIN)
    @blp.arguments(VocabularySchema)
    @blp.response(202, VocabularyChangeSchema)
    def put(self, data: dict[str, list[str]]) -> dict[str, Any]:
        """Replace the added terms; every index is then rebuilt in the background (its task
        id is returned), since documents must be cut into words anew."""
        terms = services.set_vocabulary(data["terms"])
        task = reindex_all.enqueue(created_by_id=current_user.id)
        return {
            "builtin": list(services.builtin_vocabulary()),
            "terms": terms,
            "reindex_task_id": task.id,
        }
