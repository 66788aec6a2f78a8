"""Searching (learners' catalogue, editors' questions), synonyms, reindexing and index status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.models import Bank
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Unavailable
from catalog.indexing import documents
from catalog.indexing import drain as outbox_drain
from catalog.indexing.models import SearchSynonym
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

CATALOGUE_FACETS = {
    "course": ("industry", "occupation", "level", "tags", "provider"),
    "microlecture": ("provider", "knowledge_points"),
}


def synonyms() -> dict[str, list[str]]:
    groups = db.session.scalars(select(SearchSynonym).order_by(SearchSynonym.id))
    return {group.terms[0]: group.terms[1:] for group in groups if len(group.terms) > 1}


def settings_of(index: str) -> IndexSettings:
    base = documents.INDEXES[index]
    return IndexSettings(**{**base.__dict__, "synonyms": synonyms()})


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
class CatalogueSearch:
    type: str
    result: SearchResult


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
        order = ((sort.lstrip("-"), sort.startswith("-")),)
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
    return CatalogueSearch(type, result)


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


def reindex(index: str, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild an index from the database and swap it in; changes meanwhile are replayed."""
    engine = runtime().search_engine
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
