"""MeilisearchEngine: the official ``meilisearch`` client; every task is awaited and checked."""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Iterable
from typing import Any

import meilisearch
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)

from search.interfaces import (
    And,
    Eq,
    Filter,
    Hit,
    In,
    IndexMissing,
    IndexSettings,
    Or,
    Range,
    SearchError,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)
from search.text import fold, pinyin_of_document, use_vocabulary

PINYIN = "_pinyin"
BATCH = 1000
TASK_TIMEOUT_MS = 120_000


# Meilisearch returns the text as stored, with these around matches: the text is escaped for
# HTML (clients draw the marks as HTML) and only then do the marks become <em>…</em>.
MARK_START, MARK_END = "\ue000", "\ue001"


def _marked(formatted: str) -> str:
    return html.escape(formatted).replace(MARK_START, "<em>").replace(MARK_END, "</em>")


def filter_expression(expression: Filter | None) -> str | None:
    """Our filter as Meilisearch's filter syntax."""
    if expression is None:
        return None
    if isinstance(expression, Eq):
        return f"{expression.field} = {_literal(expression.value)}"
    if isinstance(expression, In):
        return f"{expression.field} IN [{', '.join(_literal(v) for v in expression.values)}]"
    if isinstance(expression, Range):
        parts = []
        if expression.gte is not None:
            parts.append(f"{expression.field} >= {_literal(expression.gte)}")
        if expression.lte is not None:
            parts.append(f"{expression.field} <= {_literal(expression.lte)}")
        return " AND ".join(parts) or None
    joiner = " AND " if isinstance(expression, And) else " OR "
    assert isinstance(expression, And | Or)
    pieces = [f"({piece})" for part in expression.parts if (piece := filter_expression(part))]
    return joiner.join(pieces) or None


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a quoted string, escapes included


def index_settings(settings: IndexSettings) -> dict[str, Any]:
    """Our settings as Meilisearch's (searchable in ranking order, pinyin after the title)."""
    searchable = [settings.searchable[0], PINYIN, *settings.searchable[1:]]
    synonyms: dict[str, list[str]] = {}
    for key, values in settings.synonyms.items():
        group = [fold(key), *(fold(v) for v in values)]
        for word in group:  # Meilisearch synonyms are one-way: make the group mutual
            synonyms[word] = sorted({w for w in group if w != word})
    return {
        "searchableAttributes": searchable,
        "filterableAttributes": list(settings.filterable),
        "sortableAttributes": list(settings.sortable),
        "displayedAttributes": list(settings.displayed) if settings.displayed else ["*"],
        "faceting": {"maxValuesPerFacet": 100},
        "synonyms": synonyms,
        "dictionary": list(settings.vocabulary),  # trade terms its segmenter keeps whole
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "pagination": {"maxTotalHits": 10_000},
    }


class MeilisearchEngine:
    def __init__(
        self, url: str, *, api_key: str | None = None, prefix: str = "", timeout: int = 10
    ) -> None:
        self.prefix = prefix
        self._client = meilisearch.Client(url, api_key or None, timeout=timeout)
        self._settings: dict[str, IndexSettings] = {}

    def _uid(self, index: str) -> str:
        return f"{self.prefix}{index}"

    def _call(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return operation(*args, **kwargs)
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise SearchUnavailable(f"Meilisearch does not answer: {exc}") from exc
        except MeilisearchApiError as exc:
            if getattr(exc, "code", "") == "index_not_found":
                raise IndexMissing(str(exc)) from exc
            raise SearchError(f"Meilisearch refused: {exc}") from exc

    def _wait(self, task: Any) -> None:
        """Wait for a task; a failed one raises with Meilisearch's own message."""
        uid = task.task_uid
        done = self._call(
            self._client.wait_for_task, uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=20
        )
        if done.status != "succeeded":
            error = done.error or {}
            raise SearchError(
                f"Meilisearch task {uid} {done.status}: {error.get('message', error)}"
            )

    def _with_pinyin(self, index: str, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The documents with the same pinyin terms the embedded engine indexes."""
        settings = self._settings.get(index)
        if settings is None:  # the drain calls ensure_index and tries again
            raise IndexMissing(f"the settings of {index!r} are not known here: ensure it first")
        use_vocabulary(settings.vocabulary)
        return [
            {
                **d,
                "id": str(d["id"]),
                PINYIN: pinyin_of_document(d, settings.pinyin_attributes),
            }
            for d in documents
        ]

    def ensure_index(self, settings: IndexSettings) -> None:
        uid = self._uid(settings.name)
        self._settings[settings.name] = settings
        try:
            self._client.get_index(uid)
        except MeilisearchApiError:
            self._wait(self._call(self._client.create_index, uid, {"primaryKey": "id"}))
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise SearchUnavailable(f"Meilisearch does not answer: {exc}") from exc
        self._wait(self._call(self._client.index(uid).update_settings, index_settings(settings)))

    def stale(self, settings: IndexSettings) -> bool:
        """Meilisearch applies changed settings itself (it re-indexes on a settings update,
        dictionary included): ensure_index is enough."""
        return False

    def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        target = self._client.index(self._uid(index))
        for start in range(0, len(documents), BATCH):
            batch = self._with_pinyin(index, documents[start : start + BATCH])
            self._wait(self._call(target.add_documents, batch, primary_key="id"))

    def delete(self, index: str, ids: list[str]) -> None:
        if ids:
            target = self._client.index(self._uid(index))
            self._wait(self._call(target.delete_documents, [str(i) for i in ids]))

    def clear(self, index: str) -> None:
        self._wait(self._call(self._client.index(self._uid(index)).delete_all_documents))

    def rebuild(self, settings: IndexSettings, batches: Iterable[list[dict[str, Any]]]) -> int:
        """Fill ``<index>__rebuild``, then swap it with the live index (atomic)."""
        self.ensure_index(settings)
        building = IndexSettings(**{**settings.__dict__, "name": f"{settings.name}__rebuild"})
        with contextlib.suppress(SearchError):  # there may be none
            self._wait(self._call(self._client.delete_index, self._uid(building.name)))
        self.ensure_index(building)
        count = 0
        for batch in batches:
            self.upsert(building.name, batch)
            count += len(batch)
        self._wait(
            self._call(
                self._client.swap_indexes,
                [{"indexes": [self._uid(settings.name), self._uid(building.name)]}],
            )
        )
        self._wait(self._call(self._client.delete_index, self._uid(building.name)))
        return count

    def search(self, query: SearchQuery) -> SearchResult:
        options: dict[str, Any] = {
            "offset": query.offset,
            "limit": query.limit,
            "showRankingScore": bool(query.text.strip()),
        }
        expression = filter_expression(query.filter)
        if expression:
            options["filter"] = expression
        if query.facets:
            options["facets"] = list(query.facets)
        if query.sort:
            options["sort"] = [f"{name}:{'desc' if desc else 'asc'}" for name, desc in query.sort]
        if query.highlight:
            options.update(
                attributesToHighlight=list(query.highlight),
                highlightPreTag=MARK_START,
                highlightPostTag=MARK_END,
                attributesToCrop=list(query.highlight),
                cropLength=60,
            )
        answer = self._call(
            self._client.index(self._uid(query.index)).search, fold(query.text), options
        )
        hits = []
        for raw in answer["hits"]:
            formatted = raw.pop("_formatted", {}) or {}
            score = raw.pop("_rankingScore", None)
            document = {k: v for k, v in raw.items() if not k.startswith("_")}
            marks = {
                name: _marked(str(formatted[name]))
                for name in query.highlight
                if MARK_START in str(formatted.get(name, ""))
            }
            hits.append(
                Hit(
                    id=str(raw["id"]),
                    document=document,
                    highlights=marks,
                    score=None if score is None else float(score),
                )
            )
        facets = {
            name: {str(k): int(v) for k, v in counts.items()}
            for name, counts in (answer.get("facetDistribution") or {}).items()
        }
        return SearchResult(
            hits=hits,
            estimated_total=int(answer.get("estimatedTotalHits", 0)),
            facets=facets,
            offset=query.offset,
            limit=query.limit,
        )

    def stats(self) -> dict[str, int]:
        indexes = self._call(self._client.get_indexes, {"limit": 1000})["results"]
        return {
            index.uid.removeprefix(self.prefix): int(
                self._call(index.get_stats).number_of_documents
            )
            for index in indexes
            if index.uid.startswith(self.prefix)
        }

    def health(self) -> None:
        self._call(self._client.health)
