"""Microlecture authoring services: drafts, who edits and sees them, publishing, transcripts."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from catalog.accounts.models import Organisation, Role, User
from catalog.database import db
from catalog.errors import Invalid, NotFound, PermissionDenied
from catalog.lectures import authoring
from catalog.lectures.models import LectureStatus, Microlecture
from catalog.runtime import runtime


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="grid-co")
    return SimpleNamespace(
        instructor=make_user(Role.INSTRUCTOR, organisation=org),
        colleague=make_user(Role.INSTRUCTOR, organisation=org),
        editor=make_user(Role.EDITOR, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
        outsider=make_user(Role.EDITOR, organisation=make_org(code="gas-co")),
    )


def test_a_new_microlecture_is_a_clean_draft_its_author_and_reviewers_edit(
    people: Any,
) -> None:
    lecture = authoring.create(
        people.instructor,
        title="  配电网倒闸操作 ",
        description="十分钟讲清倒闸操作票",
        knowledge_points=["倒闸操作", " 倒闸操作 ", "", "操作票"],
    )
    assert (lecture.title, lecture.knowledge_points) == ("配电网倒闸操作", ["倒闸操作", "操作票"])
    assert (lecture.status, lecture.is_published) == (LectureStatus.DRAFT, False)
    assert lecture.organisation_id == people.instructor.organisation_id
    edited = authoring.update(
        people.instructor, lecture.id, {"title": " 倒闸操作 ", "knowledge_points": ["a", "a"]}
    )
    assert (edited.title, edited.knowledge_points) == ("倒闸操作", ["a"])
    with pytest.raises(PermissionDenied):
        authoring.update(people.colleague, lecture.id, {"title": "同事改"})
    with pytest.raises(NotFound):  # another organisation's drafts are not acknowledged
        authoring.update(people.outsider, lecture.id, {"title": "外单位改"})
    assert authoring.update(people.editor, lecture.id, {"title": "编辑改"}).title == "编辑改"

    def editable(user: User) -> list[int]:
        query = authoring.authoring_query(user).with_only_columns(Microlecture.id)
        return list(db.session.scalars(query))

    assert editable(people.instructor) == [lecture.id]
    assert editable(people.colleague) == []
    assert editable(people.editor) == [lecture.id]
    assert editable(people.outsider) == []


def test_only_reviewers_publish_ready_media_and_until_then_only_staff_see_it(
    people: Any, make_lecture: Callable[..., Any]
) -> None:
    draft = make_lecture(people.instructor, ready=False)
    with pytest.raises(Invalid) as refused:
        authoring.publish(people.editor, draft.id)
    assert (refused.value.code, refused.value.details) == ("not_ready", {"status": "draft"})
    ready = make_lecture(people.instructor)
    for viewer in (people.instructor, people.editor):
        assert authoring.get_for_viewer(viewer, ready.id).id == ready.id
    for viewer in (people.learner, people.colleague, people.outsider):
        with pytest.raises(NotFound):
            authoring.get_for_viewer(viewer, ready.id)
    with pytest.raises(PermissionDenied):
        authoring.publish(people.instructor, ready.id)
    published = authoring.publish(people.editor, ready.id)
    first = published.published_at
    assert published.is_published and first is not None
    assert authoring.publish(people.editor, ready.id).published_at == first  # once
    for viewer in (people.learner, people.outsider):
        assert authoring.get_for_viewer(viewer, ready.id).id == ready.id
    ids = list(db.session.scalars(authoring.published_query().with_only_columns(Microlecture.id)))
    assert ids == [ready.id]
    authoring.unpublish(people.editor, ready.id)
    with pytest.raises(NotFound):
        authoring.get_published(ready.id)
    with pytest.raises(NotFound):
        authoring.get_for_viewer(people.learner, ready.id)


def test_a_transcript_is_stored_as_webvtt_and_its_text_kept_for_search(
    people: Any, make_lecture: Callable[..., Any]
) -> None:
    lecture = make_lecture(people.instructor, ready=False)
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\n配电网运维的基本要求\n\n"
        "2\n00:00:04,000 --> 00:00:06,000\n安全第一，预防为主\n"
    )
    stored = authoring.set_transcript(people.instructor, lecture.id, format="srt", content=srt)
    assert stored.transcript_key == f"lectures/{lecture.id}/transcript.vtt"
    assert stored.transcript_text == "配电网运维的基本要求\n安全第一，预防为主"
    with runtime().object_store.get(stored.transcript_key) as body:
        vtt = body.read().decode()
    assert vtt.startswith("WEBVTT") and "00:00:04.000 --> 00:00:06.000" in vtt
    for content in ("this is not webvtt", "WEBVTT\n\n"):
        with pytest.raises(Invalid):
            authoring.set_transcript(people.instructor, lecture.id, format="vtt", content=content)
    kept = db.session.scalar(select(Microlecture).where(Microlecture.id == lecture.id))
    assert kept is not None and kept.transcript_text == "配电网运维的基本要求\n安全第一，预防为主"
