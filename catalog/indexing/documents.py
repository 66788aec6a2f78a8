"""Index documents, built in one place from the models, and the settings of each index.

Question documents never hold answer keys or explanations, so no search response can leak
them, whoever asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, func, select

from catalog.banks.models import Bank, Question, QuestionStatus, QuestionVersion
from catalog.courses import catalogue
from catalog.courses.models import CourseRelease
from catalog.database import db
from catalog.lectures.models import Microlecture
from search.interfaces import IndexSettings

COURSES = IndexSettings(
    name="courses",
    searchable=(
        "title",
        "tags",
        "summary",
        "objectives",
        "occupation_name",
        "industry_name",
        "lecture_titles",
    ),
    filterable=("industry", "occupation", "level", "tags", "provider"),
    sortable=("published_at", "class_hours", "title_sort"),
    pinyin=("title", "tags", "occupation_name"),
)
MICROLECTURES = IndexSettings(
    name="microlectures",
    searchable=("title", "knowledge_points", "description", "transcript"),
    filterable=("provider", "instructor_id", "knowledge_points"),
    sortable=("published_at", "duration_seconds", "title_sort"),
    pinyin=("title", "knowledge_points"),
    displayed=(
        "id",
        "title",
        "description",
        "knowledge_points",
        "instructor_name",
        "provider",
        "duration_seconds",
        "published_at",
    ),  # transcripts are searched, not returned
)
QUESTIONS = IndexSettings(
    name="questions",
    searchable=("stem", "options_text", "knowledge_points", "tags"),
    filterable=(
        "bank_id",
        "organisation_id",
        "type",
        "difficulty",
        "knowledge_points",
        "tags",
        "status",
        "usage",
    ),
    sortable=("difficulty", "updated_at"),
    pinyin=("knowledge_points", "tags"),  # stems are searched in characters
    rank_cap=3000,  # 安全 matches most of a big bank: newest first rather than 25 ms of ranking
)
INDEXES = {s.name: s for s in (COURSES, MICROLECTURES, QUESTIONS)}


def _stamp(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


# --- courses ---------------------------------------------------------------------------------


def course_document(release: CourseRelease) -> dict[str, Any]:
    document = release.document
    return {
        "id": str(release.course_id),
        "title": release.title,
        "title_sort": release.title_sort,
        "summary": release.summary,
        "objectives": document.get("objectives", []),
        "tags": release.tags,
        "industry": release.industry.code if release.industry else None,
        "industry_name": release.industry.name if release.industry else "",
        "occupation": release.occupation.code if release.occupation else None,
        "occupation_name": release.occupation.name if release.occupation else "",
        "level": release.skill_level,
        "level_name": release.level.name if release.level else None,
        "provider": release.provider.code,
        "provider_name": release.provider.name,
        "class_hours": release.class_hours,
        "credits": release.credits,
        "lecture_count": release.lecture_count,
        "duration_seconds": release.duration_seconds,
        "lecture_titles": [
            m["title"] for ch in document.get("chapters", []) for m in ch.get("microlectures", [])
        ],
        "published_at": _stamp(release.published_at),
    }


# --- microlectures ---------------------------------------------------------------------------


def _published_lectures() -> Any:
    return select(Microlecture).where(Microlecture.playable())


def lecture_document(lecture: Microlecture) -> dict[str, Any]:
    return {
        "id": str(lecture.id),
        "title": lecture.title,
        "title_sort": lecture.title_sort,
        "description": lecture.description,
        "knowledge_points": list(lecture.knowledge_points),
        "transcript": lecture.transcript_text,
        "instructor_id": lecture.instructor_id,
        "instructor_name": lecture.instructor.display_name,
        "provider": lecture.organisation.code,
        "duration_seconds": lecture.duration_seconds,
        "published_at": _stamp(lecture.published_at),
    }


# --- questions -------------------------------------------------------------------------------


def _questions() -> Any:
    return (
        select(Question, QuestionVersion, Bank.organisation_id)
        .join(
            QuestionVersion,
            and_(
                QuestionVersion.question_id == Question.id,
                QuestionVersion.version == Question.version,
            ),
        )
        .join(Bank, Bank.id == Question.bank_id)
        .where(Question.status != QuestionStatus.RETIRED)
    )


def question_document(
    question: Question, version: QuestionVersion, organisation_id: int
) -> dict[str, Any]:
    return {
        "id": str(question.id),
        "bank_id": question.bank_id,
        "organisation_id": organisation_id,
        "type": version.type.value,
        "difficulty": version.difficulty,
        "status": question.status.value,
        "usage": version.usage.value,
        "stem": version.stem,
        "options_text": " ".join(o["text"] for o in version.options),
        "knowledge_points": list(version.knowledge_points),
        "tags": list(version.tags),
        "version": version.version,
        "updated_at": _stamp(question.updated_at),
    }


# --- by index --------------------------------------------------------------------------------


def documents(index: str, ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """The current document of each id, or None where the record should not be indexed."""
    found: dict[str, dict[str, Any] | None] = dict.fromkeys(ids)
    numbers = [int(i) for i in ids]
    if index == "courses":
        for release in db.session.scalars(
            catalogue.published_query().where(CourseRelease.course_id.in_(numbers))
        ):
            found[str(release.course_id)] = course_document(release)
    elif index == "microlectures":
        for lecture in db.session.scalars(
            _published_lectures().where(Microlecture.id.in_(numbers))
        ):
            found[str(lecture.id)] = lecture_document(lecture)
    elif index == "questions":
        for question, version, org in db.session.execute(
            _questions().where(Question.id.in_(numbers))
        ):
            found[str(question.id)] = question_document(question, version, org)
    return found


def all_documents(index: str, batch: int = 2000) -> Iterator[list[dict[str, Any]]]:
    """Every document of the index, in batches (for a rebuild)."""
    chunk: list[dict[str, Any]] = []
    if index == "courses":
        rows: Any = (
            course_document(r)
            for r in db.session.scalars(
                catalogue.published_query().execution_options(yield_per=batch)
            )
        )
    elif index == "microlectures":
        rows = (
            lecture_document(m)
            for m in db.session.scalars(_published_lectures().execution_options(yield_per=batch))
        )
    else:
        rows = (
            question_document(q, v, o)
            for q, v, o in db.session.execute(_questions().execution_options(yield_per=batch))
        )
    for document in rows:
        chunk.append(document)
        if len(chunk) >= batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def count(index: str) -> int:
    query = {
        "courses": catalogue.published_query(),
        "microlectures": _published_lectures(),
        "questions": _questions(),
    }[index]
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
