"""Questions of a bank: creating and editing them (validated field by field; a published
question's content edit makes a new version), duplicates, stem images, bulk actions, lists."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from catalog.accounts.models import User
from catalog.banks.duplicates import near_duplicates
from catalog.banks.models import (
    Bank,
    Question,
    QuestionKnowledgePoint,
    QuestionStatus,
    QuestionTag,
    QuestionType,
    QuestionUsage,
    QuestionVersion,
)
from catalog.banks.services import get_bank_for_editing, may_edit_bank, near_duplicate_threshold
from catalog.banks.validation import check, comparable_text, fingerprint
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import (
    Conflict,
    Invalid,
    NotFound,
    PermissionDenied,
    UnsupportedMediaType,
)
from catalog.uploads import UploadTicket, accept_upload, plan_image
from ingest.interfaces import ObjectNotFound

# A change to any of these is a change of content: a published question gets a new version.
CONTENT_FIELDS = ("type", "stem", "text_format", "stem_images", "options", "answer", "explanation")
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
IMAGE_MAX_BYTES = 5 * 1024 * 1024


@dataclass
class QuestionView:
    """A question with its current version (and, after a write, what duplicate checks found)."""

    question: Question
    current: QuestionVersion
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    statistics: dict[str, Any] | None = None


def _invalid(problems: dict[str, list[str]]) -> Invalid:
    return Invalid("试题未通过校验 / The question is not valid", details={"json": problems})


def exact_duplicate(bank_id: int, print_: str, exclude: int | None = None) -> int | None:
    query = select(Question.id).where(
        Question.bank_id == bank_id,
        Question.fingerprint == print_,
        Question.status != QuestionStatus.RETIRED,
    )
    if exclude is not None:
        query = query.where(Question.id != exclude)
    found = db.session.scalar(query.limit(1))
    return int(found) if found is not None else None


def comparable_texts(bank_id: int, type: QuestionType | None = None) -> list[tuple[int, str]]:
    """(id, comparable text) of the bank's live questions, of one type when given: what new
    questions are compared with for near-duplicates."""
    query = (
        select(Question.id, QuestionVersion.stem, QuestionVersion.options)
        .join(
            QuestionVersion,
            (QuestionVersion.question_id == Question.id)
            & (QuestionVersion.version == Question.version),
        )
        .where(Question.bank_id == bank_id, Question.status != QuestionStatus.RETIRED)
    )
    if type is not None:
        query = query.where(Question.type == type)
    return [
        (int(qid), comparable_text({"stem": stem, "options": options}))
        for qid, stem, options in db.session.execute(query)
    ]


def _near(bank_id: int, clean: dict[str, Any], exclude: int | None = None) -> list[dict[str, Any]]:
    """Similar questions of the bank (reported, never blocked)."""
    existing = [
        (qid, text) for qid, text in comparable_texts(bank_id, clean["type"]) if qid != exclude
    ]
    matches = near_duplicates(
        [("new", comparable_text(clean))], existing, threshold=near_duplicate_threshold()
    )
    return [{"question_id": m.other, "score": m.score} for m in matches if m.other != "new"]


def _set_index_rows(question: Question, tags: list[str], points: list[str]) -> None:
    question.tag_rows = [QuestionTag(tag=t) for t in tags]
    question.point_rows = [QuestionKnowledgePoint(point=p) for p in points]


def _copy_to_question(question: Question, version: QuestionVersion) -> None:
    question.version = version.version
    question.type = version.type
    question.difficulty = version.difficulty
    question.usage = version.usage
    question.fingerprint = version.fingerprint
    question.stem_text = version.stem
    question.updated_at = utcnow()


def new_version(
    question_id: int, number: int, clean: dict[str, Any], user_id: int | None, print_: str
) -> QuestionVersion:
    return QuestionVersion(
        question_id=question_id,
        version=number,
        type=clean["type"],
        stem=clean["stem"],
        text_format=clean["text_format"],
        stem_images=clean["stem_images"],
        options=clean["options"],
        answer=clean["answer"],
        explanation=clean["explanation"],
        difficulty=clean["difficulty"],
        knowledge_points=clean["knowledge_points"],
        tags=clean["tags"],
        source=clean["source"],
        usage=clean["usage"],
        fingerprint=print_,
        created_by_id=user_id,
    )


def plan_image_upload(user: User, bank_id: int, content_type: str, size: int) -> UploadTicket:
    """A presigned PUT for a stem image; then name its key in the question's ``stem_images``."""
    bank = get_bank_for_editing(user, bank_id)
    return plan_image(
        f"banks/{bank.id}/images/{secrets.token_hex(12)}",
        content_type,
        size,
        allowed=IMAGE_TYPES,
        max_bytes=IMAGE_MAX_BYTES,
        what="题干图片",
    )


def _check_images(bank_id: int, keys: list[str]) -> None:
    """Stem images must be this bank's uploads, and really images (accepted into place)."""
    problems = []
    for key in keys:
        if not key.startswith(f"banks/{bank_id}/images/"):
            problems.append(f"{key}: 不是本题库上传的图片 / not an image of this bank")
            continue
        try:
            accept_upload(
                key, allowed=IMAGE_TYPES, max_bytes=IMAGE_MAX_BYTES, refusal="not an image"
            )
        except ObjectNotFound:
            problems.append(f"{key}: 图片尚未上传 / not uploaded")
        except UnsupportedMediaType:
            problems.append(f"{key}: 不是图片 / not an image")
    if problems:
        raise _invalid({"stem_images": problems})


def create_question(user: User, bank_id: int, data: dict[str, Any]) -> QuestionView:
    bank = get_bank_for_editing(user, bank_id)
    clean, problems = check(data)
    if problems:
        raise _invalid(problems)
    _check_images(bank.id, clean["stem_images"])
    print_ = fingerprint(clean)
    duplicate = exact_duplicate(bank.id, print_)
    if duplicate is not None:
        raise Conflict(
            "题库中已有相同试题 / The bank already holds this question",
            code="duplicate_question",
            details={"duplicate_of": duplicate},
        )
    near = _near(bank.id, clean)
    question = Question(
        bank_id=bank.id,
        status=QuestionStatus.DRAFT,
        version=1,
        type=clean["type"],
        difficulty=clean["difficulty"],
        usage=clean["usage"],
        fingerprint=print_,
        stem_text=clean["stem"],
    )
    _set_index_rows(question, clean["tags"], clean["knowledge_points"])
    db.session.add(question)
    db.session.flush()
    version = new_version(question.id, 1, clean, user.id, print_)
    db.session.add(version)
    db.session.commit()
    return QuestionView(question, version, near, [1])


def _current(question: Question) -> QuestionVersion:
    version: QuestionVersion | None = db.session.scalar(
        select(QuestionVersion).where(
            QuestionVersion.question_id == question.id, QuestionVersion.version == question.version
        )
    )
    assert version is not None
    return version


def get_question(user: User, question_id: int) -> QuestionView:
    """A question of a bank the user edits (404 alike for another organisation's and for none,
    never naming its bank)."""
    question = db.session.get(Question, question_id)
    bank = db.session.get(Bank, question.bank_id) if question is not None else None
    if (
        question is None
        or bank is None
        or not (may_edit_bank(user, bank) or user.organisation_id == bank.organisation_id)
    ):
        raise NotFound("试题不存在 / No such question", details={"id": question_id})
    if not may_edit_bank(user, bank):
        raise PermissionDenied("无权查看该试题 / You may not read this question's key")
    numbers = list(
        db.session.scalars(
            select(QuestionVersion.version)
            .where(QuestionVersion.question_id == question.id)
            .order_by(QuestionVersion.version)
        )
    )
    return QuestionView(question, _current(question), versions=numbers)


def get_version(user: User, question_id: int, number: int) -> QuestionVersion:
    view = get_question(user, question_id)
    version: QuestionVersion | None = db.session.scalar(
        select(QuestionVersion).where(
            QuestionVersion.question_id == view.question.id, QuestionVersion.version == number
        )
    )
    if version is None:
        raise NotFound(f"没有第 {number} 版 / No version {number}")
    return version


def update_question(user: User, question_id: int, changes: dict[str, Any]) -> QuestionView:
    """Edit a question: a published one gets a new version when its content changes."""
    view = get_question(user, question_id)
    question, current = view.question, view.current
    if question.status is QuestionStatus.RETIRED:
        raise Conflict("试题已停用 / A retired question cannot change", code="retired")
    merged = {
        "type": current.type,
        "stem": current.stem,
        "text_format": current.text_format,
        "stem_images": current.stem_images,
        "options": current.options,
        "answer": current.answer,
        "explanation": current.explanation,
        "difficulty": current.difficulty,
        "knowledge_points": current.knowledge_points,
        "tags": current.tags,
        "source": current.source,
        "usage": current.usage,
    }
    merged.update(changes)
    clean, problems = check(merged)
    if problems:
        raise _invalid(problems)
    if "stem_images" in changes:
        _check_images(question.bank_id, clean["stem_images"])
    print_ = fingerprint(clean)
    duplicate = exact_duplicate(question.bank_id, print_, exclude=question.id)
    if duplicate is not None:
        raise Conflict(
            "题库中已有相同试题 / The bank already holds this question",
            code="duplicate_question",
            details={"duplicate_of": duplicate},
        )
    content_changed = any(clean[f] != getattr(current, f) for f in CONTENT_FIELDS)
    if question.status is QuestionStatus.PUBLISHED and content_changed:
        version = new_version(question.id, current.version + 1, clean, user.id, print_)
        db.session.add(version)
        view.versions.append(version.version)
    else:  # a draft, or only metadata (difficulty, tags, knowledge points, usage, source)
        version = current
        for name in (*CONTENT_FIELDS, "difficulty", "knowledge_points", "tags", "source", "usage"):
            setattr(version, name, clean[name])
        version.fingerprint = print_
    _copy_to_question(question, version)
    _set_index_rows(question, clean["tags"], clean["knowledge_points"])
    near = _near(question.bank_id, clean, exclude=question.id) if content_changed else []
    db.session.commit()
    return QuestionView(question, version, near, view.versions)


def bulk(user: User, bank_id: int, ids: list[int], action: str, value: Any) -> dict[str, Any]:
    """Apply one action to a selection; metadata changes do not make new versions."""
    bank = get_bank_for_editing(user, bank_id)
    questions = list(
        db.session.scalars(
            select(Question).where(Question.bank_id == bank.id, Question.id.in_(ids))
        )
    )
    missing = sorted(set(ids) - {q.id for q in questions})
    if missing:
        raise Invalid(
            "部分试题不在该题库 / Some questions are not in this bank",
            details={"json": {"ids": [f"question {m} not in bank" for m in missing]}},
        )
    _check_bulk_value(action, value)
    versions = (
        current_versions(q.id for q in questions) if action not in {"publish", "retire"} else {}
    )
    changed = 0
    for question in questions:
        if question.status is QuestionStatus.RETIRED and action != "retire":
            continue
        if _apply(question, versions.get(question.id), action, value):
            changed += 1
    db.session.commit()
    return {"action": action, "selected": len(questions), "changed": changed}


def _check_bulk_value(action: str, value: Any) -> None:
    if action == "set_difficulty" and not (isinstance(value, int) and 1 <= value <= 5):
        raise Invalid(details={"json": {"value": ["难度应为 1–5 / difficulty is 1–5"]}})
    if action.endswith(("_tags", "_knowledge_points")) and not (
        isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise Invalid(details={"json": {"value": ["应为非空文字列表 / a list of words"]}})
    if action == "set_usage" and (
        not isinstance(value, str) or value not in {u.value for u in QuestionUsage}
    ):
        raise Invalid(details={"json": {"value": ["practice / exam / both"]}})


def _apply(question: Question, version: QuestionVersion | None, action: str, value: Any) -> bool:
    if action == "publish":
        if question.status is QuestionStatus.PUBLISHED:
            return False
        question.status = QuestionStatus.PUBLISHED
        return True
    if action == "retire":
        if question.status is QuestionStatus.RETIRED:
            return False
        question.status = QuestionStatus.RETIRED
        return True
    assert version is not None
    if action == "set_difficulty":
        question.difficulty = version.difficulty = value
    elif action == "set_usage":
        question.usage = version.usage = QuestionUsage(value)
    else:
        attribute = "tags" if action.endswith("_tags") else "knowledge_points"
        words = [v.strip() for v in value]
        current = list(getattr(version, attribute))
        if action.startswith("add_"):
            updated = list(dict.fromkeys(current + words))
        else:
            updated = [w for w in current if w not in words]
        if updated == current:
            return False
        setattr(version, attribute, updated)
        _set_index_rows(question, version.tags, version.knowledge_points)
    question.updated_at = utcnow()
    return True


def current_versions(question_ids: Iterable[int]) -> dict[int, QuestionVersion]:
    """The current version of each question, in one query."""
    ids = list(question_ids)
    return {
        v.question_id: v
        for v in db.session.scalars(
            select(QuestionVersion)
            .join(
                Question,
                (Question.id == QuestionVersion.question_id)
                & (Question.version == QuestionVersion.version),
            )
            .where(Question.id.in_(ids))
        )
    }
