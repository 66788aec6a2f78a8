"""Chooses the search engine from settings, once, at app start."""

from __future__ import annotations

from config import Settings
from search.embedded import EmbeddedSearchEngine
from search.interfaces import SearchEngine
from search.meili import MeilisearchEngine


def engine_from(settings: Settings) -> SearchEngine:
    if settings.search_engine == "meilisearch":
        return MeilisearchEngine(
            settings.meilisearch_url,
            api_key=settings.meilisearch_api_key or None,
            prefix=settings.search_prefix,
        )
    return EmbeddedSearchEngine(settings.search_path, prefix=settings.search_prefix)
