"""Published microlectures, as learners browse and play them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user
from werkzeug.wrappers import Response

from catalog.api import API_PREFIX, Blueprint, cursor_page_schema, image_redirect
from catalog.api.paging import keyset_page, sort_keys
from catalog.lectures import authoring, playback
from catalog.lectures.models import Microlecture
from catalog.lectures.schemas import (
    MicrolectureListItemSchema,
    MicrolectureQueryArgsSchema,
    MicrolectureSchema,
    PlaybackSchema,
)

blp = Blueprint(
    "microlectures",
    __name__,
    url_prefix=f"{API_PREFIX}/microlectures",
    description="微课 / Microlectures",
)

MicrolecturePageSchema = cursor_page_schema(MicrolectureListItemSchema, "MicrolecturePageSchema")

SORTS = sort_keys(
    Microlecture.id,
    Microlecture.published_at,
    Microlecture.duration_seconds,
    title=Microlecture.title_sort,  # 拼音排序
)


@blp.route("")
class Microlectures(MethodView):
    @blp.auth()
    @blp.etag
    @blp.arguments(MicrolectureQueryArgsSchema, location="query")
    @blp.response(200, MicrolecturePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Published microlectures, filtered by provider or instructor, sorted, cursor-paged."""
        query = authoring.published_query(
            provider=args["provider"], instructor_id=args["instructor_id"]
        )
        sort = SORTS[args["sort"]]
        return keyset_page(query, sort, cursor=args["cursor"], limit=args["limit"])


@blp.route("/<int:lecture_id>")
class MicrolecturesById(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, MicrolectureSchema)
    def get(self, lecture_id: int) -> Microlecture:
        """A microlecture: published ones for learners, drafts for their authors and reviewers."""
        return authoring.get_for_viewer(current_user, lecture_id)


@blp.route("/<int:lecture_id>/cover")
class MicrolectureCover(MethodView):
    @blp.response(302, description="to a short-lived URL of the thumbnail")
    @blp.alt_response(404, description="not published, or no thumbnail")
    def get(self, lecture_id: int) -> Response:
        """A published microlecture's thumbnail (a redirect, so lists stay cacheable)."""
        return image_redirect(playback.cover_url(lecture_id))


@blp.route("/<int:lecture_id>/playback")
class MicrolecturePlayback(MethodView):
    @blp.auth()
    @blp.response(200, PlaybackSchema)
    def get(self, lecture_id: int) -> playback.Playback:
        """Short-lived URLs of each rendition (size, bitrate, resolution), thumbnail, transcript."""
        return playback.playback(current_user, lecture_id)
