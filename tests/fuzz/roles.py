"""Who the fuzz passes sign in as, and how long a pass is."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
ROLES = {
    "anonymous": None,
    "learner": "power-learner",
    "instructor": "power-instructor",
    "editor": "power-editor",
    "admin": "power-admin",
    "platform_admin": "platform",
}


def fuzz_settings(examples: int = 0) -> settings:
    """Hypothesis settings of a pass: reproducible, no deadline, no stored examples."""
    return settings(
        max_examples=examples or EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
