"""Which questions a session asks: rule sections, daily practice, contest papers.

Among the questions a rule may draw, a learner gets those they have seen least, at random.
Drawing reads a section's eligible question ids from a per-process cache, rebuilt when a
question in its banks changes (the banks' newest ``updated_at``) or after
QUIZ_DRAW_CACHE_SECONDS; the drawn questions are checked against the database again, so a
withdrawn question is never asked even from a stale list.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, func, select

from catalog.banks import visibility
from catalog.banks.models import (
    Question,
    QuestionKnowledgePoint,
    QuestionStatus,
    QuestionTag,
    QuestionUsage,
)
from catalog.banks.visibility import EXAM_USAGE, PRACTICE_USAGE
from catalog.database import db, upsert
from catalog.errors import Conflict
from catalog.quiz.models import QuizMode, QuizTemplate, SeenQuestion, TemplateSection
from catalog.runtime import runtime

USAGE = {
    QuizMode.PRACTICE: PRACTICE_USAGE,
    QuizMode.DAILY: PRACTICE_USAGE,
    QuizMode.REVIEW: PRACTICE_USAGE,
    QuizMode.EXAM: EXAM_USAGE,
    QuizMode.CONTEST: EXAM_USAGE,
}


@dataclass(frozen=True)
class Criteria:
    """What a rule may draw: published questions of these banks, matching every filter."""

    bank_ids: tuple[int, ...]
    usage: tuple[QuestionUsage, ...]
    types: tuple[str, ...] = ()
    difficulty_min: int = 1
    difficulty_max: int = 5
    knowledge_points: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def of_section(
        cls, section: TemplateSection, mode: QuizMode, organisation_id: int | None
    ) -> Criteria:
        """The section's rule over the banks the organisation may use (a share withdrawn
        since the template was made stops its questions coming)."""
        usable = visibility.usable_bank_ids(organisation_id, section.bank_ids)
        return cls(
            bank_ids=tuple(sorted(usable)),
            usage=USAGE[mode],
            types=tuple(sorted(section.types)),
            difficulty_min=section.difficulty_min,
            difficulty_max=section.difficulty_max,
            knowledge_points=tuple(sorted(section.knowledge_points)),
            tags=tuple(sorted(section.tags)),
        )

    def query(self) -> Select[Any]:
        """Ids of the questions these criteria allow."""
        query = select(Question.id).where(
            Question.bank_id.in_(self.bank_ids),
            Question.status == QuestionStatus.PUBLISHED,
            Question.usage.in_(self.usage),
            Question.difficulty.between(self.difficulty_min, self.difficulty_max),
        )
        if self.types:
            query = query.where(Question.type.in_(self.types))
        if self.knowledge_points:
            query = query.where(
                exists().where(
                    QuestionKnowledgePoint.question_id == Question.id,
                    QuestionKnowledgePoint.point.in_(self.knowledge_points),
                )
            )
        if self.tags:
            query = query.where(
                exists().where(
                    QuestionTag.question_id == Question.id, QuestionTag.tag.in_(self.tags)
                )
            )
        return query

    def count(self) -> int:
        return int(
            db.session.scalar(select(func.count()).select_from(self.query().subquery())) or 0
        )


@dataclass
class _Entry:
    ids: list[int]
    stamp: tuple[datetime | None, ...]
    expires: float


@dataclass
class EligibleCache:
    """Eligible question ids per criteria, for one app (one database)."""

    seconds: int
    entries: dict[Criteria, _Entry] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self, criteria: Criteria, stamps: dict[int, datetime | None]) -> list[int]:
        """``stamps``: each bank's newest change, from :func:`banks_stamps`."""
        stamp = tuple(stamps[bank] for bank in criteria.bank_ids)
        with self.lock:
            entry = self.entries.get(criteria)
        if entry is None or entry.stamp != stamp or entry.expires < time.monotonic():
            ids = sorted(int(i) for i in db.session.scalars(criteria.query()))
            entry = _Entry(ids, stamp, time.monotonic() + self.seconds)
            with self.lock:
                self.entries[criteria] = entry
        return entry.ids

    def forget(self, criteria: Criteria) -> None:
        with self.lock:
            self.entries.pop(criteria, None)


def banks_stamps(bank_ids: Iterable[int]) -> dict[int, datetime | None]:
    """The newest change in each bank (one index lookup per bank)."""
    return {
        bank: db.session.scalar(
            select(func.max(Question.updated_at)).where(Question.bank_id == bank)
        )
        for bank in set(bank_ids)
    }


def _cache() -> EligibleCache:
    extensions = current_app.extensions
    cache = extensions.get("jiangyun.quiz_draw_cache")
    if cache is None:
        cache = EligibleCache(runtime().settings.quiz_draw_cache_seconds)
        extensions["jiangyun.quiz_draw_cache"] = cache
    return cache


def eligible_ids(criteria: Criteria) -> list[int]:
    """The ids the criteria allow now (from the cache), in id order."""
    return _cache().ids(criteria, banks_stamps(criteria.bank_ids))


class Seen:
    """What one learner has been asked before; read for candidates only, or (rarely) all."""

    def __init__(self, user_id: int | None) -> None:
        self.user_id = user_id
        self.everything: dict[int, int] | None = None if user_id is not None else {}
        self.read: set[int] = set()  # ids already looked up, and what was found of them
        self.found: dict[int, int] = {}

    def of(self, question_ids: list[int]) -> dict[int, int]:
        if self.everything is not None:
            return {q: self.everything[q] for q in question_ids if q in self.everything}
        if self.read.issuperset(question_ids):
            return {q: self.found[q] for q in question_ids if q in self.found}
        rows = db.session.execute(
            select(SeenQuestion.question_id, SeenQuestion.times).where(
                SeenQuestion.user_id == self.user_id, SeenQuestion.question_id.in_(question_ids)
            )
        )
        found = {int(q): int(t) for q, t in rows}
        self.read.update(question_ids)
        self.found.update(found)
        return found

    def all(self) -> dict[int, int]:
        if self.everything is None:
            rows = db.session.execute(
                select(SeenQuestion.question_id, SeenQuestion.times).where(
                    SeenQuestion.user_id == self.user_id
                )
            )
            self.everything = {int(q): int(t) for q, t in rows}
        return self.everything


def mark_seen(user_id: int, question_ids: list[int]) -> None:
    """Count one more asking of each question for the learner (one upsert statement)."""
    question_ids = list(dict.fromkeys(question_ids))
    if not question_ids:
        return
    table = SeenQuestion.__table__
    statement = upsert(SeenQuestion).on_conflict_do_update(
        index_elements=["user_id", "question_id"], set_={"times": table.c.times + 1}
    )
    rows = [{"user_id": user_id, "question_id": q, "times": 1} for q in question_ids]
    db.session.execute(statement, rows)  # one compiled statement, executed for many rows


def _sample(ids: list[int], count: int, rng: random.Random) -> list[int] | None:
    """A random handful of candidates, which usually holds enough never-seen questions."""
    spare = 3 * (count + 50)
    return rng.sample(ids, spare) if len(ids) > spare else None


def _pick(
    ids: list[int],
    count: int,
    seen: Seen,
    taken: set[int],
    rng: random.Random,
    sample: list[int] | None,
) -> list[int]:
    """``count`` ids not taken: unseen ones at random first, then the least seen."""
    if sample is not None:
        candidates = [i for i in sample if i not in taken]
        known = seen.of(candidates)
        fresh = [i for i in candidates if i not in known]
        if len(fresh) >= count:
            return fresh[:count]
    everything = seen.all()
    pool = [i for i in ids if i not in taken]
    if len(pool) < count:
        return []
    unseen = [i for i in pool if i not in everything]
    if len(unseen) >= count:
        return rng.sample(unseen, count)
    asked = [i for i in pool if i in everything]
    rng.shuffle(asked)
    asked.sort(key=lambda i: everything[i])
    return unseen + asked[: count - len(unseen)]


def draw(
    criteria_and_counts: list[tuple[Criteria, int]],
    seen: Seen,
    rng: random.Random,
    exclude: frozenset[int] = frozenset(),
    *,
    organisation_id: int | None,
    except_template: int | None = None,
) -> list[list[int]]:
    """For each (criteria, count), ``count`` distinct published questions not in ``exclude``
    (a template's fixed questions), or 409. Nothing another exam or contest of the
    organisation holds is drawn (``except_template``: the quiz drawing)."""
    banks = {b for c, _ in criteria_and_counts for b in c.bank_ids}
    held = visibility.held_in_banks(banks, organisation_id, except_template=except_template)
    exclude = exclude | frozenset(held)
    cache = _cache()
    stamps = banks_stamps(b for c, _ in criteria_and_counts for b in c.bank_ids)
    for _ in range(2):  # a second go after a stale cache entry
        taken: set[int] = set(exclude)
        chosen_per_rule = []
        pools = [(cache.ids(c, stamps), n) for c, n in criteria_and_counts]
        samples = [_sample(ids, count, rng) for ids, count in pools]
        candidates = [q for sample in samples if sample for q in sample]
        if candidates:
            seen.of(candidates)  # one read for every rule's candidates
        for (ids, count), sample in zip(pools, samples, strict=True):
            chosen = _pick(ids, count, seen, taken, rng, sample)
            if len(chosen) < count:
                raise Conflict(
                    "题库中可用的试题不足 / The banks no longer hold enough questions",
                    code="not_enough_questions",
                )
            taken.update(chosen)
            chosen_per_rule.append(chosen)
        rules = [c for c, _ in criteria_and_counts]
        stale = _stale(list(zip(rules, chosen_per_rule, strict=True)))
        if not stale:
            return chosen_per_rule
        for criteria in stale:
            cache.forget(criteria)  # a question changed under the cache: read afresh, once
    raise Conflict(
        "题库正在更新，请重试 / The banks are changing, try again", code="not_enough_questions"
    )


def draw_template(
    template: QuizTemplate, seen: Seen, rng: random.Random
) -> list[tuple[int, float]]:
    """(question id, points) of each section in order: fixed lists as given, rule sections
    drawn (never repeating a fixed question)."""
    sections = template.sections
    rules = [
        (Criteria.of_section(s, template.mode, template.organisation_id), s.count)
        for s in sections
        if not s.question_ids
    ]
    fixed = frozenset(q for s in sections for q in s.question_ids)
    drawn = iter(
        draw(
            rules,
            seen,
            rng,
            fixed,
            organisation_id=template.organisation_id,
            except_template=template.id,
        )
        if rules
        else []
    )
    chosen: list[tuple[int, float]] = []
    for section in sections:
        ids = list(dict.fromkeys(section.question_ids)) if section.question_ids else next(drawn)
        chosen += [(qid, section.points) for qid in ids]
    return chosen


def _stale(drawn: list[tuple[Criteria, list[int]]]) -> list[Criteria]:
    """The criteria some of whose drawn questions they no longer allow (one read of them all)."""
    everyone = [q for _, chosen in drawn for q in chosen]
    if not everyone:
        return []
    rows = db.session.execute(
        select(
            Question.id,
            Question.bank_id,
            Question.status,
            Question.usage,
            Question.type,
            Question.difficulty,
        ).where(Question.id.in_(everyone))
    )
    facts = {int(row[0]): row[1:] for row in rows}
    pointed = _having(QuestionKnowledgePoint, "point", drawn, "knowledge_points")
    tagged = _having(QuestionTag, "tag", drawn, "tags")
    stale = []
    for criteria, chosen in drawn:
        for qid in chosen:
            if qid not in facts:
                stale.append(criteria)
                break
            bank, status, usage, qtype, difficulty = facts[qid]
            if not (
                bank in criteria.bank_ids
                and status is QuestionStatus.PUBLISHED
                and usage in criteria.usage
                and criteria.difficulty_min <= difficulty <= criteria.difficulty_max
                and (not criteria.types or qtype.value in criteria.types)
                and (
                    not criteria.knowledge_points
                    or pointed[qid].intersection(criteria.knowledge_points)
                )
                and (not criteria.tags or tagged[qid].intersection(criteria.tags))
            ):
                stale.append(criteria)
                break
    return stale


def _having(
    model: Any, column: str, drawn: list[tuple[Criteria, list[int]]], wanted: str
) -> dict[int, frozenset[str]]:
    """The knowledge points (or tags) of drawn questions whose criteria ask for some."""
    ids = [q for criteria, chosen in drawn if getattr(criteria, wanted) for q in chosen]
    found: dict[int, set[str]] = {q: set() for q in ids}
    if ids:
        rows = db.session.execute(
            select(model.question_id, getattr(model, column)).where(model.question_id.in_(ids))
        )
        for qid, word in rows:
            found[int(qid)].add(word)
    return {q: frozenset(words) for q, words in found.items()}
