"""Who may see a question, and when its key may leave: the one rule every path calls.

A question reaches people through its bank. An organisation *uses* its own banks and the banks
shared with it (an alliance's or a parent company's, shared explicitly, never "anyone's"):
its editors put their questions in quizzes, its learners practise them. Only the bank's own
organisation (or its named editors) edits them and reads their keys outside a quiz.

Within a usable bank a question is served only when it is published, at its current version,
and its usage fits: practice and everything built on it (daily practice, reviews, the offline
snapshot) asks practice questions; exams and contests ask exam questions. The strictest live
use wins: while an exam or contest window is open or yet to come, the questions it fixed or
drew are *held* within its organisation: no other quiz, practice, review or snapshot there
serves them, and no key or score of theirs shows anywhere but in that quiz's own feedback,
until the window closes. A hold binds only the quiz's own organisation, so a member cannot
freeze an alliance's bank for the others.

Refusals never tell a question of another organisation from one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    exists,
    false,
    or_,
    select,
)

from catalog.accounts.models import Role, User
from catalog.banks.models import (
    Bank,
    Question,
    QuestionHold,
    QuestionStatus,
    QuestionUsage,
    bank_courses,
    bank_editors,
    bank_shares,
)
from catalog.clock import utcnow
from catalog.courses.enrolment import learner_course_ids
from catalog.courses.models import Course
from catalog.database import db, upsert
from catalog.security import effective_roles

STAFF_ROLES = frozenset({Role.INSTRUCTOR, Role.EDITOR, Role.ADMIN})
PRACTICE_USAGE = (QuestionUsage.PRACTICE, QuestionUsage.BOTH)
EXAM_USAGE = (QuestionUsage.EXAM, QuestionUsage.BOTH)


# --- banks -------------------------------------------------------------------------------------


def staff_banks(user: User) -> ColumnElement[bool]:
    """A filter on ``Bank``: the banks whose questions staff read with their keys (their
    organisation's, for its instructors, editors and admins; those naming them; all, for
    platform admins). Editing asks more: ``banks.services.may_edit_bank``."""
    if user.is_platform_admin:
        return Bank.id.is_not(None)
    named = exists().where(bank_editors.c.bank_id == Bank.id, bank_editors.c.user_id == user.id)
    if not effective_roles(user) & STAFF_ROLES or user.organisation_id is None:
        return named
    return or_(Bank.organisation_id == user.organisation_id, named)


def usable_banks(organisation_id: int | None) -> ColumnElement[bool]:
    """A filter on ``Bank``: the banks an organisation uses in its quizzes and practice (its
    own and those shared with it)."""
    if organisation_id is None:
        return false()
    shared = exists().where(
        bank_shares.c.bank_id == Bank.id, bank_shares.c.organisation_id == organisation_id
    )
    return or_(Bank.organisation_id == organisation_id, shared)


def usable_bank_ids(organisation_id: int | None, bank_ids: Iterable[int]) -> set[int]:
    """Which of these banks the organisation may use."""
    wanted = set(bank_ids)
    if not wanted:
        return set()
    query = select(Bank.id).where(Bank.id.in_(wanted), usable_banks(organisation_id))
    return {int(b) for b in db.session.scalars(query)}


def practisable_banks(user: User) -> ColumnElement[bool]:
    """A filter on ``Bank``: the banks a learner practises: those their organisation uses, and
    those a course they take offers (linked to it by the course's own organisation)."""
    course_ids = learner_course_ids(user)
    offered = exists(
        select(bank_courses.c.bank_id)
        .join(Course, Course.id == bank_courses.c.course_id)
        .where(
            bank_courses.c.bank_id == Bank.id,
            bank_courses.c.course_id.in_(course_ids),
            Course.provider_org_id == Bank.organisation_id,
        )
    )
    return (
        or_(usable_banks(user.organisation_id), offered)
        if course_ids
        else usable_banks(user.organisation_id)
    )


def practisable_bank_ids(user: User, bank_ids: Iterable[int]) -> set[int]:
    """Which of these banks the learner practises."""
    wanted = set(bank_ids)
    if not wanted:
        return set()
    query = select(Bank.id).where(Bank.id.in_(wanted), practisable_banks(user))
    return {int(b) for b in db.session.scalars(query)}


def may_use_bank(user: User, bank: Bank) -> bool:
    """The user's organisation uses the bank (or the user edits it)."""
    if user.is_platform_admin or any(editor.id == user.id for editor in bank.editors):
        return True
    return user.organisation_id is not None and (
        bank.organisation_id == user.organisation_id
        or any(o.id == user.organisation_id for o in bank.shared_with)
    )


# --- questions ---------------------------------------------------------------------------------


def servable(
    organisation_id: int | None,
    usage: tuple[QuestionUsage, ...],
    banks: ColumnElement[bool] | None = None,
) -> Select[Any]:
    """Ids of the questions an organisation's quizzes may ask for this usage: published, in a
    bank it uses (or in ``banks``, a filter such as :func:`practisable_banks`). Held questions
    are left out separately (:func:`not_held`)."""
    return (
        select(Question.id)
        .join(Bank, Bank.id == Question.bank_id)
        .where(
            Question.status == QuestionStatus.PUBLISHED,
            Question.usage.in_(usage),
            usable_banks(organisation_id) if banks is None else banks,
        )
    )


def servable_ids(
    organisation_id: int | None,
    question_ids: Iterable[int],
    usage: tuple[QuestionUsage, ...],
    *,
    except_template: int | None = None,
) -> set[int]:
    """Which of these questions the organisation's quiz (``except_template``: the one asking)
    may ask now: none that another of its exams or contests holds."""
    wanted = set(question_ids)
    if not wanted:
        return set()
    found = {
        int(q)
        for q in db.session.scalars(servable(organisation_id, usage).where(Question.id.in_(wanted)))
    }
    return found - held_ids(found, organisation_id, except_template=except_template)


# --- holds ---------------------------------------------------------------------------------


def _holding(organisation_id: int | None, now: datetime | None) -> ColumnElement[bool]:
    return and_(
        QuestionHold.organisation_id == (organisation_id or -1),
        QuestionHold.until > (now or utcnow()),
    )


def held_ids(
    question_ids: Iterable[int],
    organisation_id: int | None,
    *,
    except_template: int | None = None,
    now: datetime | None = None,
) -> set[int]:
    """Which of these questions an exam or contest of the organisation holds now
    (``except_template``: the quiz asking, whose own feedback policy governs its keys)."""
    wanted = set(question_ids)
    if not wanted:
        return set()
    query = _holds(QuestionHold.question_id.in_(wanted), organisation_id, except_template, now)
    return {int(q) for q in db.session.scalars(query)}


def is_held(
    question_id: SQLColumnExpression[int],
    organisation_id: int | None,
    *,
    except_template: int | None = None,
    now: datetime | None = None,
) -> ColumnElement[bool]:
    """:func:`held_ids` as a clause about one question column, to be read in a larger query."""
    return _holds(
        QuestionHold.question_id == question_id, organisation_id, except_template, now
    ).exists()


def _holds(
    which: ColumnElement[bool],
    organisation_id: int | None,
    except_template: int | None,
    now: datetime | None,
) -> Select[int]:
    query = select(QuestionHold.question_id).where(which, _holding(organisation_id, now))
    if except_template is not None:
        query = query.where(QuestionHold.template_id != except_template)
    return query


def held_in_banks(
    bank_ids: Iterable[int],
    organisation_id: int | None,
    *,
    except_template: int | None = None,
    now: datetime | None = None,
) -> list[int]:
    """The banks' questions an exam or contest of the organisation holds now, in id order
    (holds are few: one query)."""
    query = (
        _holds(Question.bank_id.in_(set(bank_ids)), organisation_id, except_template, now)
        .join(Question, Question.id == QuestionHold.question_id)
        .distinct()
        .order_by(QuestionHold.question_id)
    )
    return [int(q) for q in db.session.scalars(query)]


def not_held(organisation_id: int | None) -> ColumnElement[bool]:
    """A filter on ``Question``: not held by an exam or contest of the organisation now."""
    return ~exists().where(QuestionHold.question_id == Question.id, _holding(organisation_id, None))


def hold(
    template_id: int, organisation_id: int, question_ids: Iterable[int], until: datetime
) -> None:
    """Hold these questions for a quiz of the organisation until its window closes (again:
    no change)."""
    rows = [
        {
            "question_id": q,
            "template_id": template_id,
            "organisation_id": organisation_id,
            "until": until,
        }
        for q in set(question_ids)
    ]
    if rows:
        statement = upsert(QuestionHold).on_conflict_do_nothing(
            index_elements=["question_id", "template_id"]
        )
        db.session.execute(statement, rows)
