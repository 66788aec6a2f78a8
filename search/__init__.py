"""Search: the SearchEngine interface, its embedded and Meilisearch engines, Chinese text."""
