"""Schemas of microlectures, uploads and playback."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from marshmallow import fields, validate

from catalog.fields import AwareDateTime, Pattern
from catalog.lectures.models import AssetKind, LectureStatus, UploadStatus

TITLE = validate.Length(min=1, max=200)


def knowledge_points_field(**options: object) -> fields.List[str]:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=60)),
        validate=validate.Length(max=30),
        **options,  # type: ignore[arg-type]
    )


class InstructorSchema(ma.Schema):
    id = fields.Integer()
    display_name = fields.String()


def _cover_link(lecture: Any) -> str | None:
    """The cover link of a published lecture whose media has a thumbnail (an audio-only
    lecture has none: attack on issue 19, its link answered 404)."""
    if not lecture.is_published or lecture.active_upload_id is None:
        return None
    if not any(asset.kind is AssetKind.THUMBNAIL for asset in lecture.active_assets):
        return None
    return url_for("microlectures.MicrolectureCover", lecture_id=lecture.id)


class MicrolectureListItemSchema(ma.Schema):
    """Compact, for lists on small screens: the same wherever a microlecture is listed (lists,
    search hits)."""

    id = fields.Integer()
    title = fields.String()
    duration_seconds = fields.Float(allow_none=True)
    knowledge_points = fields.List(fields.String())
    instructor = fields.Nested(InstructorSchema)
    cover_url = fields.Function(
        _cover_link, metadata={"description": "redirects to the thumbnail", "nullable": True}
    )
    published_at = AwareDateTime(allow_none=True)


class MicrolectureSchema(MicrolectureListItemSchema):
    description = fields.String()
    has_transcript = fields.Function(lambda lecture: bool(lecture.transcript_key))


class AuthoringMicrolectureSchema(MicrolectureSchema):
    status = fields.Enum(LectureStatus, by_value=True)
    failure_reason = fields.String(allow_none=True)
    is_published = fields.Boolean()
    organisation_id = fields.Integer()
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class MicrolectureCreateSchema(ma.Schema):
    title = fields.String(required=True, validate=TITLE)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    knowledge_points = knowledge_points_field(load_default=list)


class MicrolectureUpdateSchema(ma.Schema):
    title = fields.String(validate=TITLE)
    description = fields.String(validate=validate.Length(max=5000))
    knowledge_points = knowledge_points_field()


class MicrolectureQueryArgsSchema(ma.Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    provider = fields.String(load_default=None, metadata={"description": "organisation code"})
    instructor_id = fields.Integer(load_default=None)
    sort = fields.String(
        load_default="-published_at",
        validate=validate.OneOf(
            [
                "-published_at",
                "published_at",
                "title",
                "-title",
                "duration_seconds",
                "-duration_seconds",
            ]
        ),
        metadata={"description": "title: in pinyin order (拼音排序)"},
    )


AUTHORING_SORTS = ["-updated_at", "updated_at", "title", "-title"]


class AuthoringQueryArgsSchema(MicrolectureQueryArgsSchema):
    status = fields.Enum(LectureStatus, by_value=True, load_default=None)
    sort = fields.String(
        load_default="-updated_at",
        validate=validate.OneOf(AUTHORING_SORTS),
        metadata={"description": "title: in pinyin order (拼音排序)"},
    )


class TranscriptSchema(ma.Schema):
    format = fields.String(
        required=True,
        validate=validate.OneOf(["vtt", "srt"]),
        metadata={"description": "vtt (WebVTT) or srt (SubRip)"},
    )
    content = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2_000_000),
        metadata={"description": "the whole text of the .vtt or .srt file"},
    )


class UploadCreateSchema(ma.Schema):
    file_name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    content_type = fields.String(
        required=True,
        validate=Pattern(r"^[\w.+-]+/[\w.+-]+$", error="不是 MIME 类型 / not a MIME type"),
    )
    sha256 = fields.String(
        load_default=None,
        validate=Pattern(r"^[0-9a-fA-F]{64}$", error="应为 64 位十六进制 / 64 hex digits"),
    )


class PartPlanSchema(ma.Schema):
    part_number = fields.Integer()
    url = fields.String()
    size = fields.Integer()


class UploadSchema(ma.Schema):
    id = fields.String()
    file_name = fields.String()
    size = fields.Integer()
    status = fields.Enum(UploadStatus, by_value=True)
    failure_reason = fields.String(allow_none=True)
    detected_type = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True, metadata={"description": "GET /api/v1/tasks/{id}"})
    expires_at = AwareDateTime()


class UploadPlanSchema(ma.Schema):
    upload = fields.Nested(UploadSchema)
    method = fields.String(metadata={"description": "single: one PUT to url; multipart: parts"})
    expires_at = AwareDateTime(metadata={"description": "when the URLs stop working"})
    url = fields.String(allow_none=True)
    headers = fields.Dict(keys=fields.String(), values=fields.String())
    part_size = fields.Integer(allow_none=True)
    parts = fields.List(fields.Nested(PartPlanSchema))


class CompletedPartSchema(ma.Schema):
    part_number = fields.Integer(required=True, validate=validate.Range(min=1, max=10000))
    etag = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UploadCompleteSchema(ma.Schema):
    parts = fields.List(
        fields.Nested(CompletedPartSchema),
        load_default=None,
        metadata={"description": "optional: by default every uploaded part is used"},
    )


class RenditionSchema(ma.Schema):
    kind = fields.String(metadata={"description": "mobile (≤480p), original or audio"})
    url = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    bitrate = fields.Integer(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)


class PlaybackSchema(ma.Schema):
    microlecture_id = fields.Integer()
    duration_seconds = fields.Float(allow_none=True)
    expires_at = AwareDateTime()
    renditions = fields.List(fields.Nested(RenditionSchema))
    thumbnail_url = fields.String(allow_none=True)
    transcript_url = fields.String(allow_none=True)
