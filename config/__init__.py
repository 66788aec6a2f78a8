"""Settings: the one place that reads the environment and turns it into typed values."""

from __future__ import annotations

import enum
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["VARIABLES", "ConfigError", "Environment", "Settings", "load_settings"]


class ConfigError(ValueError):
    """A setting is missing, malformed or unsafe for the chosen environment."""


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


@dataclass(frozen=True)
class Settings:
    """Every setting of the service, with its type and default.

    Build it with :func:`load_settings` (from the environment) or directly in tests.
    """

    environment: Environment = Environment.DEVELOPMENT
    debug: bool = False
    var_dir: Path = field(default_factory=lambda: Path.cwd() / "var")
    secret_key: str = ""
    secret_key_is_generated: bool = False
    database_url: str = ""
    redis_url: str = ""
    rate_limit_storage_url: str = ""
    login_rate_limit: str = "10 per minute"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    max_request_bytes: int = 16 * 1024 * 1024
    tasks_immediate: bool = False
    queue_name: str = "jiangyun"
    queue_file: Path | None = None
    worker_count: int = 2
    log_level: str = "INFO"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'jiangyun.db'}"

    @property
    def uses_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def limiter_storage_uri(self) -> str:
        return self.rate_limit_storage_url or self.redis_url or "memory://"

    @property
    def queue_path(self) -> Path:
        return self.queue_file or self.var_dir / "tasks.db"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests use this instead of mutating config)."""
        return replace(self, **changes)

    def check(self) -> None:
        """Refuse settings that are unsafe in production; the message names the variable."""
        if self.environment is not Environment.PRODUCTION:
            return
        problems = []
        if self.secret_key_is_generated or len(self.secret_key) < 32:
            problems.append("SECRET_KEY: set a random secret of at least 32 characters")
        if self.uses_sqlite:
            problems.append("DATABASE_URL: set a PostgreSQL URL (postgresql+psycopg://…)")
        if self.debug:
            problems.append("DEBUG: must be off in production")
        if self.tasks_immediate:
            problems.append("TASKS_IMMEDIATE: must be off in production")
        if problems:
            raise ConfigError(
                "Refusing to start in production / 生产环境配置不安全: " + "; ".join(problems)
            )


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {raw!r}")


def _parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


@dataclass(frozen=True)
class _Variable:
    name: str
    attribute: str
    parse: Callable[[str], Any]
    default: str
    meaning: str


# The README's configuration table is generated from (and tested against) this list.
VARIABLES: tuple[_Variable, ...] = (
    _Variable(
        "JIANGYUN_ENV",
        "environment",
        Environment,
        "development",
        "development, test or production; production refuses unsafe settings",
    ),
    _Variable("DEBUG", "debug", _parse_bool, "false", "Flask debug mode (never in production)"),
    _Variable(
        "VAR_DIR",
        "var_dir",
        Path,
        "./var",
        "folder for the embedded database, objects, search index, task queue and dev secret",
    ),
    _Variable(
        "SECRET_KEY",
        "secret_key",
        str,
        "(generated once into var/secret_key)",
        "signs tokens and URLs; required in production (32+ characters)",
    ),
    _Variable(
        "DATABASE_URL",
        "database_url",
        str,
        "sqlite:///var/jiangyun.db",
        "SQLAlchemy URL; postgresql+psycopg://user:pass@host/db in production",
    ),
    _Variable(
        "REDIS_URL",
        "redis_url",
        str,
        "(unset)",
        "when set, the task queue (RedisHuey) and rate limits use this Redis",
    ),
    _Variable(
        "RATE_LIMIT_STORAGE_URL",
        "rate_limit_storage_url",
        str,
        "REDIS_URL or memory://",
        "flask-limiter storage URI, overriding REDIS_URL for rate limits",
    ),
    _Variable(
        "LOGIN_RATE_LIMIT",
        "login_rate_limit",
        str,
        "10 per minute",
        "failed sign-ins allowed per client address and per user name",
    ),
    _Variable(
        "ACCESS_TOKEN_MINUTES",
        "access_token_minutes",
        _parse_positive_int,
        "15",
        "lifetime of an access token",
    ),
    _Variable(
        "REFRESH_TOKEN_DAYS",
        "refresh_token_days",
        _parse_positive_int,
        "30",
        "lifetime of a refresh token (a login session)",
    ),
    _Variable(
        "MAX_REQUEST_BYTES",
        "max_request_bytes",
        _parse_positive_int,
        "16777216",
        "largest request body the API accepts (413 above); big files go to presigned URLs",
    ),
    _Variable(
        "TASKS_IMMEDIATE",
        "tasks_immediate",
        _parse_bool,
        "false",
        "run background tasks inline instead of queueing them (tests only)",
    ),
    _Variable("QUEUE_NAME", "queue_name", str, "jiangyun", "name of the task queue"),
    _Variable(
        "QUEUE_FILE",
        "queue_file",
        Path,
        "var/tasks.db",
        "SQLite file of the task queue when REDIS_URL is unset",
    ),
    _Variable(
        "WORKER_COUNT",
        "worker_count",
        _parse_positive_int,
        "2",
        "threads of the background-task consumer",
    ),
    _Variable("LOG_LEVEL", "log_level", str.upper, "INFO", "level of the JSON logs on stderr"),
)


def _read(environ: Mapping[str, str], variable: _Variable) -> Any:
    raw = environ.get(variable.name)
    if raw is None or raw == "":
        return _MISSING
    try:
        return variable.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{variable.name}: {exc}") from exc


_MISSING = object()


def _development_secret(var_dir: Path) -> str:
    """A random secret generated on first use and kept under var/ so tokens survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret, encoding="ascii")
    return secret


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from environment variables (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable in VARIABLES:
        value = _read(env, variable)
        if value is not _MISSING:
            values[variable.attribute] = value
    if "var_dir" in values:
        values["var_dir"] = values["var_dir"].resolve()
    settings = Settings(**values)
    if not settings.secret_key and settings.environment is not Environment.PRODUCTION:
        settings = replace(
            settings,
            secret_key=_development_secret(settings.var_dir),
            secret_key_is_generated=True,
        )
    settings.check()
    return settings
