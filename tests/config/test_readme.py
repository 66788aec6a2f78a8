"""README's configuration table is exactly the one the settings' declarations generate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config import configuration_table

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def readme_configuration_table() -> str:
    lines = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    section = lines.index("## Configuration")
    start = lines.index("| variable | default | meaning |", section)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end])


def test_readme_table_is_the_generated_table() -> None:
    # A new setting without a README row, or a README edit the code does not share, fails here;
    # `python -m config` prints the table to paste.
    assert readme_configuration_table() == configuration_table()


def test_python_m_config_prints_the_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "config"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        encoding="utf-8",
        check=True,
    )
    assert result.stdout == configuration_table() + "\n"
