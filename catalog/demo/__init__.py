"""Demo data for ``make run``: what it holds (``content``) and how it is loaded (``loading``)."""

from catalog.demo.content import DEMO_INDUSTRIES, DEMO_PASSWORD, DEMO_USERS
from catalog.demo.loading import demo_cli, load_demo_data

__all__ = ["DEMO_INDUSTRIES", "DEMO_PASSWORD", "DEMO_USERS", "demo_cli", "load_demo_data"]
