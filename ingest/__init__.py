"""Bringing content in: object storage, media processing, importers and their tasks."""
