"""Search: the SearchEngine interface, index documents, Chinese text and outbox sync."""
