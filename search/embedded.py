"""EmbeddedSearchEngine: SQLite FTS5, one file per index under ``var/``, no server.

Text is analysed before it reaches FTS5 (folded width and script, jieba search-mode words,
pinyin of titles), so FTS5's own tokenizer only splits on the spaces we put. Queries are
analysed the same way: every word must match (the last one as a prefix, for search as you type);
an exact word also matches its prefix clause, so exact beats prefix in bm25; Latin words of 5+
letters tolerate one typo; synonyms widen a word. Renaming a freshly built file swaps an index.
"""

from __future__ import annotations

import dataclasses
import fcntl
import itertools
import json
import multiprocessing
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rapidfuzz.distance import OSA

from search.interfaces import (
    And,
    Eq,
    Filter,
    Hit,
    In,
    IndexMissing,
    IndexSettings,
    Or,
    SearchError,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)
from search.text import (
    analysed,
    fold,
    highlight,
    pinyin_of_document,
    pinyin_of_query,
    query_words,
    use_vocabulary,
    word_as_bigrams,
)

PINYIN = "_pinyin"  # the column holding the pinyin terms of the settings' pinyin attributes
COUNT_CAP = 1000
QUERY_WORDS = 10  # words of a query that count, as in Meilisearch
BREADTH_SECONDS, BREADTH_ENTRIES = 60.0, 1000
NARROW_ROWS = 2000  # an attribute test admitting fewer rows is gathered as a set, else probed
TYPO_MIN_LETTERS = 5  # a Latin or pinyin word this long tolerates one typo (as Meilisearch)
BATCH = 1000


class EmbeddedSearchEngine:
    def __init__(
        self, folder: Path, *, prefix: str = "", analysis_workers: int | None = None
    ) -> None:
        self.folder = folder
        self.prefix = prefix
        # A full rebuild analyses text (jieba, OpenCC, pypinyin) in this many processes.
        self.analysis_workers = analysis_workers or _usable_cpus()
        self._local = threading.local()
        # (index, match) → (too broad to rank, until when): an editor paging through 安全
        # asks the same question again; whether 3,000 rows match hardly changes in a minute
        self._breadth: dict[tuple[str, str], tuple[bool, float]] = {}

    # --- files and connections -------------------------------------------------------------

    def _path(self, index: str) -> Path:
        if not index.replace("_", "").isalnum():
            raise SearchError(f"invalid index name {index!r}")
        return self.folder / f"{self.prefix}{index}.db"

    def _connect(self, path: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=DELETE")  # no WAL: files are swapped by rename
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def _connection(self, index: str) -> sqlite3.Connection:
        """This thread's connection to the index, reopened when the file was swapped."""
        path = self._path(index)
        try:
            inode = path.stat().st_ino
        except FileNotFoundError:
            raise IndexMissing(f"no index {index!r}: run ensure_index first") from None
        except OSError as exc:  # the folder is gone or not a folder
            raise SearchUnavailable(f"embedded search: {exc}") from exc
        cache: dict[str, tuple[int, sqlite3.Connection]] = self._local.__dict__.setdefault(
            "connections", {}
        )
        found = cache.get(index)
        if found is None or found[0] != inode:
            if found is not None:
                found[1].close()
            cache[index] = (inode, self._connect(path))
        return cache[index][1]

    @contextmanager
    def _lock(self, index: str) -> Iterator[None]:
        """Writers of one index (and its rebuild) take turns."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f"{self.prefix}{index}.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _settings(self, connection: sqlite3.Connection) -> IndexSettings:
        raw = connection.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        data = json.loads(raw[0])
        return IndexSettings(
            name=data["name"],
            searchable=tuple(data["searchable"]),
            filterable=tuple(data["filterable"]),
            sortable=tuple(data["sortable"]),
            displayed=tuple(data["displayed"]),
            synonyms=data["synonyms"],
            pinyin=tuple(data.get("pinyin", ())),
            vocabulary=tuple(data.get("vocabulary", ())),
            rank_cap=data.get("rank_cap"),
        )

    @staticmethod
    def _create(connection: sqlite3.Connection, settings: IndexSettings) -> None:
        columns = ", ".join(f'"{c}"' for c in (*settings.searchable, PINYIN))
        connection.executescript(
            f"""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS docs (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,
                                             doc TEXT NOT NULL);
            CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5({columns},
                tokenize = "unicode61 remove_diacritics 0 tokenchars '-_.'");
            CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(fts, 'row');
            CREATE TABLE IF NOT EXISTS attrs (rowid INTEGER NOT NULL, field TEXT NOT NULL,
                                              value);
            CREATE INDEX IF NOT EXISTS attrs_lookup ON attrs (field, value, rowid);
            CREATE INDEX IF NOT EXISTS attrs_row ON attrs (rowid, field);
            """
        )
        connection.execute(
            "INSERT OR REPLACE INTO meta VALUES ('settings', ?)",
            (
                json.dumps(
                    {
                        "name": settings.name,
                        "searchable": settings.searchable,
                        "filterable": settings.filterable,
                        "sortable": settings.sortable,
                        "displayed": settings.displayed,
                        "synonyms": settings.synonyms,
                        "pinyin": settings.pinyin,
                        "vocabulary": settings.vocabulary,
                        "rank_cap": settings.rank_cap,
                    },
                    ensure_ascii=False,
                ),
            ),
        )

    # --- the interface ---------------------------------------------------------------------

    def ensure_index(self, settings: IndexSettings) -> None:
        try:
            with self._lock(settings.name):
                path = self._path(settings.name)
                existing = None
                if path.exists():
                    existing = self._settings(self._connection(settings.name))
                if existing is not None and existing.searchable != settings.searchable:
                    raise SearchError(
                        f"the searchable attributes of {settings.name!r} changed: rebuild it"
                    )
                if existing is not None:  # what documents were analysed with stays until a rebuild
                    settings = dataclasses.replace(
                        settings,
                        sortable=existing.sortable,
                        pinyin=existing.pinyin,
                        vocabulary=existing.vocabulary,
                    )
                connection = self._connect(path)
                try:
                    self._create(connection, settings)
                finally:
                    connection.close()
        except (sqlite3.Error, OSError) as exc:
            raise SearchUnavailable(f"embedded search: {exc}") from exc

    def stale(self, settings: IndexSettings) -> bool:
        """Whether the index was built otherwise than ``settings`` ask (sort attributes,
        pinyin attributes, vocabulary: after an upgrade or a vocabulary change), so only a
        rebuild brings it in line. A missing index is not stale: it is built when needed."""
        try:
            connection = self._connection(settings.name)
        except IndexMissing:
            return False
        built = self._settings(connection)
        return (built.sortable, built.pinyin, built.vocabulary) != (
            settings.sortable,
            settings.pinyin,
            settings.vocabulary,
        )

    def _write(
        self,
        connection: sqlite3.Connection,
        settings: IndexSettings,
        documents: list[dict[str, Any]],
    ) -> None:
        self._write_prepared(connection, settings, _prepare(settings, documents))

    def _write_prepared(
        self, connection: sqlite3.Connection, settings: IndexSettings, prepared: list[_Prepared]
    ) -> None:
        placeholders = ", ".join("?" for _ in range(len(settings.searchable) + 2))
        for doc_id, doc, columns, attributes in prepared:
            old = connection.execute("SELECT rowid FROM docs WHERE id = ?", (doc_id,)).fetchone()
            if old is not None:
                self._remove(connection, old[0])
            cursor = connection.execute("INSERT INTO docs (id, doc) VALUES (?, ?)", (doc_id, doc))
            connection.execute(
                f"INSERT INTO fts (rowid, {', '.join(_quoted(settings))}) VALUES ({placeholders})",
                (cursor.lastrowid, *columns),
            )
            connection.executemany(
                "INSERT INTO attrs (rowid, field, value) VALUES (?, ?, ?)",
                [(cursor.lastrowid, name, value) for name, value in attributes],
            )

    @staticmethod
    def _remove(connection: sqlite3.Connection, rowid: int) -> None:
        connection.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        connection.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))
        connection.execute("DELETE FROM attrs WHERE rowid = ?", (rowid,))

    def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        if not documents:
            return
        try:
            with self._lock(index):
                connection = self._connection(index)
                settings = self._settings(connection)
                for start in range(0, len(documents), BATCH):
                    connection.execute("BEGIN IMMEDIATE")
                    try:
                        self._write(connection, settings, documents[start : start + BATCH])
                    except BaseException:
                        connection.execute("ROLLBACK")
                        raise
                    connection.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            raise SearchUnavailable(f"embedded search: {exc}") from exc

    def delete(self, index: str, ids: list[str]) -> None:
        if not ids:
            return
        try:
            with self._lock(index):
                connection = self._connection(index)
                connection.execute("BEGIN IMMEDIATE")
                for doc_id in ids:
                    row = connection.execute(
                        "SELECT rowid FROM docs WHERE id = ?", (str(doc_id),)
                    ).fetchone()
                    if row is not None:
                        self._remove(connection, row[0])
                connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"embedded search: {exc}") from exc

    def clear(self, index: str) -> None:
        try:
            with self._lock(index):
                connection = self._connection(index)
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("DELETE FROM fts")
                connection.execute("DELETE FROM docs")
                connection.execute("DELETE FROM attrs")
                connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"embedded search: {exc}") from exc

    def rebuild(self, settings: IndexSettings, batches: Iterable[list[dict[str, Any]]]) -> int:
        """Build a new file next to the index, then rename it over the index (atomic)."""
        path = self._path(settings.name)
        building = path.with_name(path.name + ".building")
        building.unlink(missing_ok=True)
        count = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            connection = self._connect(building)
            try:
                self._create(connection, settings)
                for prepared in _prepared_batches(settings, batches, self.analysis_workers):
                    connection.execute("BEGIN")
                    self._write_prepared(connection, settings, prepared)
                    connection.execute("COMMIT")
                    count += len(prepared)
                connection.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            finally:
                connection.close()
            with self._lock(settings.name):
                building.replace(path)
        except sqlite3.Error as exc:
            building.unlink(missing_ok=True)
            raise SearchUnavailable(f"embedded search: {exc}") from exc
        return count

    def stats(self) -> dict[str, int]:
        counts = {}
        for path in sorted(self.folder.glob(f"{self.prefix}*.db")):
            name = path.stem.removeprefix(self.prefix)
            try:
                counts[name] = int(
                    self._connection(name).execute("SELECT count(*) FROM docs").fetchone()[0]
                )
            except (sqlite3.Error, SearchError) as exc:
                raise SearchUnavailable(f"embedded search: {exc}") from exc
        return counts

    def size_bytes(self) -> dict[str, int]:
        return {
            p.stem.removeprefix(self.prefix): p.stat().st_size
            for p in sorted(self.folder.glob(f"{self.prefix}*.db"))
        }

    def health(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = sqlite3.connect(":memory:")
            probe.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
            probe.close()
            if not os.access(self.folder, os.W_OK):
                raise SearchUnavailable(f"{self.folder} is not writable")
        except (OSError, sqlite3.Error) as exc:
            raise SearchUnavailable(f"embedded search: {exc}") from exc

    # --- searching -------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            connection = self._connection(query.index)
            settings = self._settings(connection)
            return self._search(connection, settings, query)
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"embedded search: {exc}") from exc

    def _search(
        self, connection: sqlite3.Connection, settings: IndexSettings, query: SearchQuery
    ) -> SearchResult:
        use_vocabulary(settings.vocabulary)
        words = query_words(query.text)
        where, params = _filter_sql(
            query.filter,
            settings,
            lambda condition, values: _admitted(connection, condition, values),
        )
        weights = ", ".join(str(w) for w in _weights(settings))
        # As Meilisearch: the first ten words count (a 200-character query of 33 near-pinyin
        # words cost 1.6 s of typo scans, each repeated as words were dropped)
        words = words[:QUERY_WORDS]
        attempt = list(words)
        terms: list[str] = []
        typos: dict[tuple[str, bool], set[str]] = {}  # each word's near terms, found once
        while True:
            match, terms = (
                self._match(
                    connection,
                    settings,
                    attempt,
                    whole=query.text if attempt == words else "",
                    typos=typos,
                )
                if attempt
                else (None, [])
            )
            rows, total = self._run(connection, settings, query, match, where, params, weights)
            # As Meilisearch's "last" strategy: drop words from the end until something matches.
            if rows or len(attempt) <= 1 or not words:
                break
            attempt = attempt[:-1]
        hits = []
        for doc_id, raw, score in rows:
            document = json.loads(raw)
            if settings.displayed:
                shown = {k: v for k, v in document.items() if k in settings.displayed or k == "id"}
            else:
                shown = document
            marks = {}
            for name in query.highlight:
                text = _as_text(document.get(name))
                marked = highlight(text, terms) if terms else None
                if marked:
                    marks[name] = marked
            hits.append(Hit(id=doc_id, document=shown, highlights=marks, score=score))
        facets = {
            name: self._facet(connection, settings, name, match if attempt else None, where, params)
            for name in query.facets
        }
        return SearchResult(
            hits=hits, estimated_total=total, facets=facets, offset=query.offset, limit=query.limit
        )

    def _match(
        self,
        connection: sqlite3.Connection,
        settings: IndexSettings,
        words: list[str],
        *,
        whole: str = "",
        typos: dict[tuple[str, bool], set[str]] | None = None,
    ) -> tuple[str, list[str]]:
        """The FTS5 MATCH expression, and every term it looks for (for highlighting).

        Mixed input (倒闸cz, dz操作) also matches as one pinyin prefix (dzcz) of the words
        ``whole`` names. ``typos`` keeps each word's near terms for the search's next tries."""
        typos = {} if typos is None else typos
        clauses = []
        looked_for: list[str] = []
        for position, word in enumerate(words):
            last = position == len(words) - 1
            alternatives = {word, *self._synonyms(settings, word)}
            if word.isascii() and word.isalpha() and len(word) >= TYPO_MIN_LETTERS:
                if (word, last) not in typos:
                    typos[(word, last)] = self._typos(connection, word, prefix=last)
                alternatives |= typos[(word, last)]
            parts = []
            looked_for += [fold(a) for a in alternatives]
            for pairs in (word_as_bigrams(a) for a in sorted(alternatives)):
                if pairs:  # the word as consecutive character pairs, whatever the segmenter did
                    parts.append('"' + " ".join(pairs) + '"')
            for alternative in sorted(alternatives):
                pieces = query_words(alternative) if " " in alternative else [alternative]
                phrase = '"' + " ".join(p.replace('"', "") for p in pieces) + '"'
                parts.append(phrase)
                if last and len(pieces) == 1:
                    parts.append(phrase + "*")  # search as you type; exact words count twice
            clauses.append("(" + " OR ".join(parts) + ")")
        expression = " AND ".join(clauses)
        mixed = pinyin_of_query(whole) if whole else []
        if mixed:
            as_pinyin = " OR ".join(f'{PINYIN} : "{m}"*' for m in mixed)  # letters, digits
            expression = f"({expression}) OR {as_pinyin}"
        return expression, looked_for

    @staticmethod
    def _synonyms(settings: IndexSettings, word: str) -> set[str]:
        found: set[str] = set()
        for key, values in settings.synonyms.items():
            group = {fold(key), *(fold(v) for v in values)}
            if word in group:
                found |= group
        found.discard(word)
        return found

    @staticmethod
    def _typos(connection: sqlite3.Connection, word: str, *, prefix: bool) -> set[str]:
        """Indexed terms one edit away from ``word`` (only when it is not indexed as it is)."""
        exact = connection.execute(
            "SELECT 1 FROM vocab WHERE term >= ? AND term < ? LIMIT 1",
            (word, word + "\uffff") if prefix else (word, word + "\0"),
        ).fetchone()
        if exact:
            return set()
        rows = connection.execute(
            "SELECT term FROM vocab WHERE term >= ? AND term < ?", (word[0], word[0] + "\uffff")
        ).fetchall()
        near = set()
        for (term,) in rows:
            # The whole term, or (typing) its beginnings as long as the word or one longer.
            forms = {term}
            if prefix:
                forms |= {term[: len(word)], term[: len(word) + 1]}
            for form in forms:
                # one letter wrong, missing or extra, or two neighbours swapped (daozah)
                if (
                    abs(len(form) - len(word)) <= 1
                    and OSA.distance(form, word, score_cutoff=1) <= 1
                ):
                    near.add(form)
        return near

    def _run(
        self,
        connection: sqlite3.Connection,
        settings: IndexSettings,
        query: SearchQuery,
        match: str | None,
        where: str,
        params: list[Any],
        weights: str,
    ) -> tuple[list[tuple[str, str, float | None]], int]:
        """The page's rowids first (ranked or sorted, filtered), then only their documents,
        each with its score: bm25 (negative, lower is better) mapped into (0, 1)."""
        source, conditions, arguments = _source(match, where, params)
        clause = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        ranked = bool(match) and not self._too_broad(connection, settings, match)
        rank = f"bm25(fts, {weights})" if ranked else "NULL"
        order = _order_sql(query.sort, settings) or (
            "s, r" if ranked else "r DESC" if match else "r"
        )
        page = connection.execute(
            f"SELECT {source[1]} AS r, {rank} AS s FROM {source[0]} {clause} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            (*arguments, query.limit, query.offset),
        ).fetchall()
        counted: int | None = None
        if match and not ranked and not query.sort and len(page) == query.limit:
            counted = self._estimate_broad(connection, settings, match, query, page[-1][0])
        ids = [row[0] for row in page]
        scores = {r: (None if s is None else round(-s / (1 - s), 6)) for r, s in page}
        found = {}
        if ids:
            marks = ", ".join("?" for _ in ids)
            found = {
                rowid: (doc_id, doc)
                for rowid, doc_id, doc in connection.execute(
                    f"SELECT rowid, id, doc FROM docs WHERE rowid IN ({marks})", ids
                )
            }
        rows = [(*found[r], scores[r]) for r in ids if r in found]
        if counted is not None:
            total = counted
        elif query.offset == 0 and len(rows) < query.limit:
            total = len(rows)
        else:
            total = connection.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {source[0]} {clause} LIMIT {COUNT_CAP})",
                arguments,
            ).fetchone()[0]
        return rows, int(total)

    @staticmethod
    def _estimate_broad(
        connection: sqlite3.Connection,
        settings: IndexSettings,
        match: str,
        query: SearchQuery,
        last: int,
    ) -> int:
        """The estimated total of a broad query (its words match ``rank_cap`` rows or more)
        from its page: the share of the newest matches its filters let through, applied to
        the matches known to exist, capped like every count. Counting the filtered rows one
        by one would cost more than the search (seen: 8 of 12 ms)."""
        scanned = connection.execute(
            "SELECT count(*) FROM fts WHERE fts MATCH ? AND rowid >= ?", (match, last)
        ).fetchone()[0]
        seen = query.offset + query.limit
        share = seen / max(int(scanned), seen)
        return min(COUNT_CAP, max(seen, round(int(settings.rank_cap or 0) * share)))

    def _too_broad(
        self, connection: sqlite3.Connection, settings: IndexSettings, match: str | None
    ) -> bool:
        """Whether the words match ``settings.rank_cap`` rows or more (filters aside: counting
        through them would cost what it saves): bm25 costs about 1.5 µs per matching row, so
        安全 over 50,000 questions (33,000 of them) would take 25 ms to rank. Such a query
        lists the newest matches first, unranked (no score); the words an editor adds next
        bring it under the cap."""
        if not settings.rank_cap or not match:
            return False
        key, now = (settings.name, match), time.monotonic()
        known = self._breadth.get(key)
        if known is not None and known[1] > now:
            return known[0]
        counted = connection.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT {settings.rank_cap})",
            (match,),
        ).fetchone()[0]
        broad = int(counted) >= settings.rank_cap
        if len(self._breadth) >= BREADTH_ENTRIES:
            self._breadth.clear()
        self._breadth[key] = (broad, now + BREADTH_SECONDS)
        return broad

    @staticmethod
    def _facet(
        connection: sqlite3.Connection,
        settings: IndexSettings,
        name: str,
        match: str | None,
        where: str,
        params: list[Any],
    ) -> dict[str, int]:
        if name not in settings.filterable:
            raise SearchError(f"{name!r} is not filterable, so it cannot be a facet")
        source, conditions, arguments = _source(match, where, params)
        clause = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = connection.execute(
            f"SELECT value, count(*) FROM attrs WHERE field = ? AND rowid IN "
            f"(SELECT {source[1]} FROM {source[0]} {clause}) "
            "GROUP BY value ORDER BY count(*) DESC, value",
            (name, *arguments),
        ).fetchall()
        return {str(value): int(count) for value, count in rows if value is not None}


def _admitted(connection: sqlite3.Connection, condition: str, params: list[Any]) -> int:
    """Rows an attribute test lets through, counted up to ``NARROW_ROWS`` (an index scan)."""
    return int(
        connection.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM attrs WHERE {condition} LIMIT {NARROW_ROWS})",
            params,
        ).fetchone()[0]
    )


def _source(
    match: str | None, where: str, params: list[Any]
) -> tuple[tuple[str, str], list[str], list[Any]]:
    """(table, rowid column), conditions and arguments of the matching rows."""
    if match:
        source = ("fts", "fts.rowid")
        conditions, arguments = ["fts MATCH ?"], [match]
    else:
        source = ("docs", "docs.rowid")
        conditions, arguments = [], []
    if where:
        # "+rowid": the filter must not drive the FTS5 table (one MATCH per candidate row);
        # the MATCH runs once and the filter's subquery becomes a lookup set.
        conditions.append(where.replace("{row}", "+" + source[1]))
        arguments = [*arguments, *params]
    return source, conditions, arguments


# --- preparing documents (in this process, or in worker processes for a rebuild) ----------

# A document as rows: its id, its JSON, its FTS5 columns, its (attribute, value) pairs.
_Prepared = tuple[str, str, tuple[Any, ...], list[tuple[str, Any]]]


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _prepare(settings: IndexSettings, documents: list[dict[str, Any]]) -> list[_Prepared]:
    use_vocabulary(settings.vocabulary)
    prepared = []
    for document in documents:
        columns = [analysed(_as_text(document.get(name))) for name in settings.searchable]
        attributes = [
            (name, _value(value))
            for name in dict.fromkeys((*settings.filterable, *settings.sortable))
            for value in _values(document.get(name))
        ]
        prepared.append(
            (
                str(document["id"]),
                json.dumps(document, ensure_ascii=False, default=str),
                (*columns, pinyin_of_document(document, settings.pinyin_attributes)),
                attributes,
            )
        )
    return prepared


def _prepared_batches(
    settings: IndexSettings, batches: Iterable[list[dict[str, Any]]], workers: int
) -> Iterator[list[_Prepared]]:
    """Each batch prepared, in order. With several batches and workers, text analysis runs in
    worker processes while this one reads the next batches and writes the prepared ones; at
    most two batches per worker are in flight, so memory stays bounded."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    if second is None or workers < 2:
        yield _prepare(settings, first)
        if second is not None:
            yield _prepare(settings, second)
        for batch in batches:
            yield _prepare(settings, batch)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a threaded server process
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[list[_Prepared]]] = deque()
        for batch in itertools.chain((first, second), batches):
            pending.append(pool.submit(_prepare, settings, batch))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# --- translation helpers ---------------------------------------------------------------------


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_as_text(v) for v in value)
    return str(value)


def _quoted(settings: IndexSettings) -> list[str]:
    return [f'"{c}"' for c in (*settings.searchable, PINYIN)]


def _weights(settings: IndexSettings) -> list[float]:
    """Earlier attributes weigh more; pinyin of the title weighs like the title's neighbour."""
    weights = [max(1.0, 10.0 - 3 * i) for i in range(len(settings.searchable))]
    return [*weights, 5.0]


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _attribute(name: str, settings: IndexSettings, role: str) -> str:
    allowed = settings.filterable if role == "filter" else settings.sortable
    if name not in allowed:
        raise SearchError(f"{name!r} is not {role}able in {settings.name!r}")
    return name


def _value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _filter_sql(
    expression: Filter | None,
    settings: IndexSettings,
    admits: Callable[[str, list[Any]], int] | None = None,
) -> tuple[str, list[Any]]:
    """A condition on ``{row}`` (the matching row id), answered from the attrs index.

    Each attribute test takes the form its selectivity calls for (``admits(condition,
    params)`` counts the rows it lets through, up to ``NARROW_ROWS``): a narrow one is a set
    of row ids gathered once (a bank of 300 questions); a broad one is looked up for each
    candidate row instead, since gathering every row it admits (the 50,000 questions of the
    banks an editor reads) would cost more than the search itself.
    """
    if expression is None:
        return "", []
    if isinstance(expression, And | Or):
        joiner = " AND " if isinstance(expression, And) else " OR "
        pieces, params = [], []
        for part in expression.parts:
            sql, values = _filter_sql(part, settings, admits)
            pieces.append(f"({sql})")
            params += values
        return joiner.join(pieces) if pieces else "1", params
    name = _attribute(expression.field, settings, "filter")
    if isinstance(expression, Eq):
        condition, params = "value = ?", [_value(expression.value)]
    elif isinstance(expression, In):
        if not expression.values:
            return "0", []
        condition = f"value IN ({', '.join('?' for _ in expression.values)})"
        params = [_value(v) for v in expression.values]
    else:
        bounds = []
        params = []
        if expression.gte is not None:
            bounds.append("value >= ?")
            params.append(expression.gte)
        if expression.lte is not None:
            bounds.append("value <= ?")
            params.append(expression.lte)
        condition = " AND ".join(bounds) or "1"
    if admits is not None and admits(f"field = ? AND {condition}", [name, *params]) >= NARROW_ROWS:
        return (
            f"EXISTS (SELECT 1 FROM attrs WHERE attrs.rowid = {{row}} AND field = ? "
            f"AND {condition})",
            [name, *params],
        )
    return f"{{row}} IN (SELECT rowid FROM attrs WHERE field = ? AND {condition})", [name, *params]


def _order_sql(sort: tuple[tuple[str, bool], ...], settings: IndexSettings) -> str:
    parts = []
    for name, descending in sort:
        field = _attribute(name, settings, "sort").replace("'", "")
        parts.append(
            f"(SELECT min(value) FROM attrs WHERE attrs.rowid = r AND "
            f"field = '{field}') {'DESC' if descending else 'ASC'}"
        )
    return ", ".join([*parts, "r"]) if parts else ""
