"""The SearchEngine interface, its query language, results and errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class SearchError(Exception):
    """The engine refused an operation (bad settings, a failed task)."""


class IndexMissing(SearchError):
    """The index does not exist yet (services create it and try again)."""


class SearchUnavailable(SearchError):
    """The engine does not answer; callers answer 503 and the outbox retries later."""


# --- filters: a small structured expression, translated by each engine -----------------------

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Eq:
    field: str
    value: Scalar


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Range:
    field: str
    gte: float | None = None
    lte: float | None = None


@dataclass(frozen=True)
class And:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Filter, ...]


Filter = Eq | In | Range | And | Or


def all_of(*parts: Filter | None) -> Filter | None:
    """And of the given filters, leaving out the ``None`` ones."""
    kept = tuple(p for p in parts if p is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else And(kept)


# --- settings, queries and results -----------------------------------------------------------


@dataclass(frozen=True)
class IndexSettings:
    """What an index holds and how it is searched.

    ``searchable`` is in ranking order: a match in an earlier attribute ranks higher.
    Attributes in ``filterable`` may be used in filters and facets; ``sortable`` in sorts.
    Array attributes (tags) match when any element does.
    """

    name: str
    searchable: tuple[str, ...]
    filterable: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ()
    displayed: tuple[str, ...] = ()  # empty: every attribute
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    # attributes whose words also match by pinyin and initials (empty: the first searchable)
    pinyin: tuple[str, ...] = ()
    # trade terms the segmenter keeps whole, at index and query time (search.text.vocabulary_terms)
    vocabulary: tuple[str, ...] = ()
    # an engine that ranks every match itself (the embedded one) lists a query matching this
    # many rows or more newest first, unranked; None: always ranked
    rank_cap: int | None = None

    @property
    def pinyin_attributes(self) -> tuple[str, ...]:
        return self.pinyin or self.searchable[:1]


@dataclass(frozen=True)
class SearchQuery:
    index: str
    text: str = ""
    filter: Filter | None = None
    facets: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()  # (attribute, descending)
    offset: int = 0
    limit: int = 20
    highlight: tuple[str, ...] = ()


@dataclass
class Hit:
    id: str
    document: dict[str, Any]
    highlights: dict[str, str] = field(default_factory=dict)  # attribute → text with <em>
    score: float | None = None  # relevance in (0, 1], higher is better; None without text


@dataclass
class SearchResult:
    hits: list[Hit]
    estimated_total: int
    facets: dict[str, dict[str, int]]
    offset: int
    limit: int


class SearchEngine(Protocol):
    """A full-text engine: ``EmbeddedSearchEngine`` (SQLite FTS5) or ``MeilisearchEngine``.

    Every method raises ``SearchUnavailable`` when the engine does not answer.
    """

    def ensure_index(self, settings: IndexSettings) -> None:
        """Create the index when missing and apply its settings."""
        ...

    def stale(self, settings: IndexSettings) -> bool:
        """Whether only a rebuild brings the index in line with ``settings``."""
        ...

    def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        """Add or replace documents (each has a string ``id``), in batches."""
        ...

    def delete(self, index: str, ids: list[str]) -> None:
        """Remove documents; missing ids are ignored."""
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Hits (most relevant first, unless sorted), facet counts, an estimated total."""
        ...

    def rebuild(self, settings: IndexSettings, batches: Iterable[list[dict[str, Any]]]) -> int:
        """Build the index anew from ``batches`` and swap it in atomically; returns the count."""
        ...

    def clear(self, index: str) -> None:
        """Remove every document of the index."""
        ...

    def stats(self) -> dict[str, int]:
        """Documents per index."""
        ...

    def health(self) -> None:
        """Raise ``SearchUnavailable`` unless the engine answers."""
        ...
