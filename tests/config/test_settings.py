"""Settings from the environment: types, defaults, the development secret, production refusals."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from config import VARIABLES, ConfigError, Environment, Settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_server(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'jiangyun.db'}"
    # Rate limits shared by the machine's processes, in a file under var/ (no Redis needed).
    assert settings.limiter_storage_uri == f"jiangyun-sqlite://{settings.var_dir / 'limits.db'}"
    assert settings.queue_path == tmp_path / "tasks.db"
    assert settings.redis_url == ""


def test_typed_values_are_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VAR_DIR": str(tmp_path),
            "DEBUG": "yes",
            "ACCESS_TOKEN_MINUTES": "5",
            "TASKS_IMMEDIATE": "0",
            "DATABASE_URL": "postgresql+psycopg://u:p@db/jy",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert settings.debug is True
    assert settings.access_token_minutes == 5
    assert settings.tasks_immediate is False
    assert not settings.uses_sqlite
    assert settings.limiter_storage_uri == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("ACCESS_TOKEN_MINUTES", "ten"),
        ("ACCESS_TOKEN_MINUTES", "-1"),
        ("JIANGYUN_ENV", "staging"),
    ],
)
def test_malformed_value_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({"VAR_DIR": str(tmp_path), name: value})


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"VAR_DIR": str(tmp_path)})
    second = load_settings({"VAR_DIR": str(tmp_path)})
    assert first.secret_key_is_generated
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


PRODUCTION_OK = {
    "JIANGYUN_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "DATABASE_URL": "postgresql+psycopg://jy@db/jy",
    "PUBLIC_BASE_URL": "https://learn.example.cn",
}


def test_production_with_safe_settings_starts(tmp_path: Path) -> None:
    settings = load_settings({**PRODUCTION_OK, "VAR_DIR": str(tmp_path)})
    assert settings.environment is Environment.PRODUCTION
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:////srv/jy.db"}, "DATABASE_URL"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"TASKS_IMMEDIATE": "true"}, "TASKS_IMMEDIATE"),
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL"),
    ],
)
def test_production_refuses_unsafe_settings(
    tmp_path: Path, change: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError, match=rf"{variable}:"):
        load_settings({**PRODUCTION_OK, "VAR_DIR": str(tmp_path), **change})


def test_production_never_uses_a_generated_secret(tmp_path: Path) -> None:
    # A development secret lying in var/ must not silently become the production secret.
    load_settings({"VAR_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({**PRODUCTION_OK, "SECRET_KEY": "", "VAR_DIR": str(tmp_path)})


def test_every_variable_maps_to_a_setting_and_is_in_the_readme() -> None:
    fields = set(Settings.__dataclass_fields__)
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for variable in VARIABLES:
        assert variable.attribute in fields
        assert re.search(rf"^\| `{variable.name}` \|", readme, re.MULTILINE), variable.name


def test_only_config_reads_the_environment() -> None:
    offenders = []
    for package in ("catalog", "ingest", "search"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "os.environ" in text or "os.getenv" in text:
                offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []


def test_no_two_settings_share_a_variable() -> None:
    names = [variable.name for variable in VARIABLES]
    assert len(names) == len(set(names))


def test_every_field_but_the_secrets_origin_is_a_variable() -> None:
    # A new field without setting() would be a setting nobody can configure or find in the README.
    attributes = {variable.attribute for variable in VARIABLES}
    assert {f.name for f in fields(Settings)} - attributes == {"secret_key_is_generated"}


VARIABLES_BY_NAME = {variable.name: variable for variable in VARIABLES}


def has_plain_default(name: str) -> bool:
    """The README shows this default as the value itself, not as words for a computed one."""
    default = Settings.__dataclass_fields__[VARIABLES_BY_NAME[name].attribute].default
    return default is not MISSING and default is not None and default != ""


@pytest.mark.parametrize("name", VARIABLES_BY_NAME)
def test_unset_variable_gives_the_fields_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # Run where VAR_DIR's default (./var) is harmless: the development secret is written there.
    monkeypatch.chdir(tmp_path)
    attribute = VARIABLES_BY_NAME[name].attribute
    loaded = load_settings({})
    if name == "SECRET_KEY":
        assert loaded.secret_key_is_generated
        assert loaded.secret_key == (tmp_path / "var" / "secret_key").read_text(encoding="ascii")
    else:
        assert getattr(loaded, attribute) == getattr(Settings(), attribute)


@pytest.mark.parametrize("name", [name for name in VARIABLES_BY_NAME if has_plain_default(name)])
def test_documented_default_parses_to_the_fields_default(tmp_path: Path, name: str) -> None:
    variable = VARIABLES_BY_NAME[name]
    loaded = load_settings({"VAR_DIR": str(tmp_path), name: variable.default})
    assert getattr(loaded, variable.attribute) == getattr(Settings(), variable.attribute)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NEAR_DUPLICATE_THRESHOLD", "250"),
        ("NEAR_DUPLICATE_THRESHOLD", "0"),
        ("LOG_LEVEL", "verbose"),
        ("DATABASE_LOCK_TIMEOUT_SECONDS", "-1"),
        ("DATABASE_LOCK_TIMEOUT_SECONDS", "nan"),
        ("DATABASE_LOCK_TIMEOUT_SECONDS", "inf"),
        ("JIANGYUN_ENV", "staging"),
    ],
)
def test_values_out_of_their_range_are_refused_by_name(
    tmp_path: Path, variable: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings({"VAR_DIR": str(tmp_path), variable: value})


def test_environment_and_log_level_are_read_leniently(tmp_path: Path) -> None:
    settings = load_settings(
        {"VAR_DIR": str(tmp_path), "JIANGYUN_ENV": " Test ", "LOG_LEVEL": "warning"}
    )
    assert settings.environment is Environment.TEST and settings.log_level == "WARNING"


def test_relative_folders_are_resolved_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"QUEUE_FILE": "q.db", "OBJECT_DIR": "objects", "SEARCH_DIR": "index"})
    assert settings.queue_path == tmp_path / "q.db"
    assert settings.objects_path == tmp_path / "objects"
    assert settings.search_path == tmp_path / "index"


def test_production_refuses_a_loopback_public_address(tmp_path: Path) -> None:
    environ = {
        "JIANGYUN_ENV": "production",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgresql+psycopg://db/jiangyun",
        "PUBLIC_BASE_URL": "http://localhost:8000",
    }
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_settings(environ)


def test_the_development_secret_is_one_for_every_process(tmp_path: Path) -> None:
    first = load_settings({"VAR_DIR": str(tmp_path)}).secret_key
    assert load_settings({"VAR_DIR": str(tmp_path)}).secret_key == first
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left
    (tmp_path / "secret_key").write_text("")  # a torn write from an older version
    with pytest.raises(ConfigError, match="empty"):
        load_settings({"VAR_DIR": str(tmp_path)})
