"""Searching (learners' catalogue, editors' questions), synonyms, reindexing and index status."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.models import Bank
from catalog.clock import utcnow
from catalog.courses import catalogue
from catalog.courses.models import CourseRelease
from catalog.database import db, single_flight
from catalog.errors import Unavailable
from catalog.indexing import documents
from catalog.indexing import drain as outbox_drain
from catalog.indexing.models import SearchSynonym, SearchVocabularyTerm
from catalog.lectures import authoring as lectures
from catalog.lectures.models import Microlecture
from catalog.runtime import runtime
from search.interfaces import (
    Eq,
    Filter,
    In,
    IndexMissing,
    IndexSettings,
    SearchEngine,
    SearchError,
    SearchQuery,
    SearchResult,
    all_of,
)
from search.text import vocabulary_term, vocabulary_terms

CATALOGUE_FACETS = {
    "course": ("industry", "occupation", "level", "tags", "provider"),
    "microlecture": ("provider", "knowledge_points"),
}


def synonyms() -> dict[str, list[str]]:
    groups = db.session.scalars(select(SearchSynonym).order_by(SearchSynonym.id))
    return {group.terms[0]: group.terms[1:] for group in groups if len(group.terms) > 1}


VOCABULARY_FILE = Path(__file__).with_name("vocabulary.txt")


@functools.cache
def builtin_vocabulary() -> tuple[str, ...]:
    """The industry vocabulary shipped with the service (power, gas, water, manufacturing,
    safety): one term per line, ``#`` starts a comment."""
    lines = VOCABULARY_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def added_vocabulary() -> list[str]:
    """The terms the platform's admins added, in the order they were added."""
    return list(
        db.session.scalars(select(SearchVocabularyTerm.term).order_by(SearchVocabularyTerm.id))
    )


def settings_of(index: str) -> IndexSettings:
    """An index's settings as they stand: its fields, the synonyms and the vocabulary."""
    base = documents.INDEXES[index]
    return IndexSettings(
        **{
            **base.__dict__,
            "synonyms": synonyms(),
            "vocabulary": vocabulary_terms([*builtin_vocabulary(), *added_vocabulary()]),
        }
    )


def ensure(engine: SearchEngine, index: str) -> None:
    """Create the index (or apply changed settings, such as synonyms)."""
    engine.ensure_index(settings_of(index))


def drain() -> dict[str, int]:
    engine = runtime().search_engine
    return outbox_drain.drain(engine, lambda index: ensure(engine, index))


def _run(query: SearchQuery) -> SearchResult:
    engine = runtime().search_engine
    try:
        return engine.search(query)
    except IndexMissing:
        # Truly empty only while the database holds nothing for it; otherwise the index was
        # lost or never built (another engine, a new server) and an empty answer would lie.
        if documents.count(query.index):
            raise Unavailable(
                "搜索索引尚未建立，请稍后重试 / The search index is not built yet; retry later",
                code="search_unavailable",
                details={"index": query.index},
            ) from None
        return SearchResult(
            hits=[], estimated_total=0, facets={}, offset=query.offset, limit=query.limit
        )


@dataclass
class CatalogueHit:
    """A course (its published release) or microlecture exactly as lists show it, with what
    only a search adds: its highlights and its score."""

    item: Any
    highlights: dict[str, str] = field(default_factory=dict)
    score: float | None = None

    def __getattr__(self, name: str) -> Any:  # the item's own fields, for its list schema
        return getattr(self.__dict__["item"], name)


@dataclass
class CatalogueSearch:
    type: str
    result: SearchResult
    hits: list[CatalogueHit]


def _hydrated(type: str, result: SearchResult) -> list[CatalogueHit]:
    """The hits as the records they index, read in one query, in the engine's order; a hit
    whose record is no longer published (the index catches up shortly) is left out."""
    numbers = [int(hit.id) for hit in result.hits if hit.id.isdigit()]
    if not numbers:
        return []
    items: dict[int, Any]
    if type == "course":
        items = {
            r.course_id: r
            for r in db.session.scalars(
                catalogue.published_query().where(CourseRelease.course_id.in_(numbers))
            )
        }
    else:
        items = {
            m.id: m
            for m in db.session.scalars(
                lectures.published_query().where(Microlecture.id.in_(numbers))
            ).unique()
        }
    return [
        CatalogueHit(items[int(hit.id)], hit.highlights, hit.score)
        for hit in result.hits
        if hit.id.isdigit() and int(hit.id) in items
    ]


def search_catalogue(
    *,
    q: str,
    type: str,
    industry: str | None,
    occupation: str | None,
    level: int | None,
    tag: str | None,
    provider: str | None,
    facets: list[str],
    sort: str | None,
    offset: int,
    limit: int,
) -> CatalogueSearch:
    """Published courses or microlectures: the indexes hold nothing else."""
    highlight: tuple[str, ...]
    if type == "course":
        filters = all_of(
            Eq("industry", industry) if industry else None,
            Eq("occupation", occupation) if occupation else None,
            Eq("level", level) if level is not None else None,
            Eq("tags", tag) if tag else None,
            Eq("provider", provider) if provider else None,
        )
        index, highlight = "courses", ("title", "summary")
    else:
        filters = all_of(
            Eq("provider", provider) if provider else None,
            Eq("knowledge_points", tag) if tag else None,
        )
        index, highlight = "microlectures", ("title", "description", "transcript")
    unknown = [f for f in facets if f not in CATALOGUE_FACETS[type]]
    if unknown:
        raise SearchError(f"unknown facets: {', '.join(unknown)}")
    order: tuple[tuple[str, bool], ...] = ()
    if sort:
        name = sort.lstrip("-")
        order = (("title_sort" if name == "title" else name, sort.startswith("-")),)  # 拼音排序
    result = _run(
        SearchQuery(
            index=index,
            text=q,
            filter=filters,
            facets=tuple(facets),
            sort=order,
            offset=offset,
            limit=limit,
            highlight=highlight,
        )
    )
    return CatalogueSearch(type, result, _hydrated(type, result))


def question_scope(user: User) -> Filter | None:
    """Questions of the banks staff read and those shared with their organisation (whose ids
    they need to build papers; search never returns keys): catalog.banks.visibility."""
    if user.is_platform_admin:
        return None
    readable = or_(visibility.staff_banks(user), visibility.usable_banks(user.organisation_id))
    banks = db.session.scalars(select(Bank.id).where(readable))
    return In("bank_id", tuple(int(b) for b in banks))


def search_questions(
    user: User,
    *,
    q: str,
    bank_id: int | None,
    type: str | None,
    difficulty: int | None,
    knowledge_point: str | None,
    tag: str | None,
    status: str | None,
    facets: list[str],
    offset: int,
    limit: int,
) -> SearchResult:
    filters = all_of(
        question_scope(user),
        Eq("bank_id", bank_id) if bank_id is not None else None,
        Eq("type", type) if type else None,
        Eq("difficulty", difficulty) if difficulty is not None else None,
        Eq("knowledge_points", knowledge_point) if knowledge_point else None,
        Eq("tags", tag) if tag else None,
        Eq("status", status) if status else None,
    )
    return _run(
        SearchQuery(
            index="questions",
            text=q,
            filter=filters,
            facets=tuple(facets),
            offset=offset,
            limit=limit,
            highlight=("stem",),
        )
    )


def set_synonyms(groups: list[list[str]]) -> list[list[str]]:
    """Replace the synonym groups and apply them to every index."""
    db.session.execute(SearchSynonym.__table__.delete())
    for terms in groups:
        cleaned = list(dict.fromkeys(t.strip() for t in terms if t.strip()))
        if len(cleaned) > 1:
            db.session.add(SearchSynonym(terms=cleaned))
    db.session.commit()
    engine = runtime().search_engine
    for index in documents.INDEXES:
        ensure(engine, index)
    return [g.terms for g in db.session.scalars(select(SearchSynonym).order_by(SearchSynonym.id))]


def rebuild_stale() -> list[str]:
    """Rebuild the indexes built otherwise than this release and the vocabulary ask (after
    an upgrade, or a vocabulary rebuild that failed); the consumer asks every minute."""
    engine = runtime().search_engine
    rebuilt: list[str] = []
    with single_flight("search-rebuild-stale") as mine:  # one consumer does it
        if not mine:
            return rebuilt
        for index in documents.INDEXES:
            if engine.stale(settings_of(index)):
                reindex(index)
                rebuilt.append(index)
    return rebuilt


def set_vocabulary(terms: list[str]) -> list[str]:
    """Replace the admins' terms; the caller then rebuilds every index in the background
    (documents are cut anew), which applies them."""
    db.session.execute(SearchVocabularyTerm.__table__.delete())
    builtin = set(builtin_vocabulary())
    folded = dict.fromkeys(vocabulary_term(t) for t in terms)  # in the order given, once
    kept = [t for t in folded if t and t not in builtin]
    db.session.add_all(SearchVocabularyTerm(term=term) for term in kept)
    db.session.commit()
    # No engine call here: the rebuild the caller queues applies the vocabulary with the
    # documents cut anew, so a search engine that is down cannot leave the change unapplied
    # (attack on issue 19: the PUT answered 503 after saving, and queued no rebuild).
    return added_vocabulary()


def reindex(index: str, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild an index from the database and swap it in; changes meanwhile are replayed.

    Rebuilds of one index take turns (two vocabulary changes in a row, a command beside a
    task): each builds from the settings as they stand when its turn comes, so the last
    change is the one that stays, and no rebuild writes over another's half-built index."""
    engine = runtime().search_engine
    with single_flight(f"search-rebuild-{index}", wait=True):
        db.session.commit()  # a new transaction: the settings and rows as they are after the wait
        started = utcnow()

        def batches() -> Any:
            for batch in documents.all_documents(index):
                yield batch
                if progress:
                    progress(len(batch))

        count = engine.rebuild(settings_of(index), batches())
        outbox_drain.replay_since(started)
    return count


def status() -> dict[str, Any]:
    engine = runtime().search_engine
    return {
        "documents": engine.stats(),
        "expected": {name: documents.count(name) for name in documents.INDEXES},
        "outbox": outbox_drain.lag(),
    }
