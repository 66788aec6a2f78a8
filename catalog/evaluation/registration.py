"""Plugs skill-level evaluation into the app: plans, applications, assessors, apprenticeships."""

from __future__ import annotations

from flask import Flask

from catalog.evaluation import models  # noqa: F401  (its tables join the metadata)


def register(app: Flask) -> None:
    pass
