"""Microlectures (微课): metadata, uploads, media assets, transcripts, playback."""
