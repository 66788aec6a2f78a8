"""Settings: the one place that reads the environment and turns it into typed values."""

from __future__ import annotations

import enum
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    database_lock_timeout_seconds: float = 10.0
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
    public_base_url: str = "http://127.0.0.1:8000"
    object_store: str = "local"
    object_dir: Path | None = None
    s3_endpoint_url: str = ""
    s3_public_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_bucket: str = "jiangyun"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_addressing_style: str = "path"
    upload_url_seconds: int = 3600
    playback_url_seconds: int = 900
    upload_single_max_bytes: int = 64 * 1024 * 1024
    upload_part_bytes: int = 16 * 1024 * 1024
    media_max_bytes: int = 4 * 1024 * 1024 * 1024
    upload_expiry_hours: int = 24
    rendition_max_height: int = 480
    rendition_max_bitrate: int = 1_200_000
    import_max_bytes: int = 32 * 1024 * 1024
    import_max_unzipped_bytes: int = 512 * 1024 * 1024
    near_duplicate_threshold: int = 90
    search_engine: str = "embedded"
    quiz_deadline_grace_seconds: int = 5
    quiz_draw_cache_seconds: int = 60
    daily_practice_questions: int = 10
    review_session_questions: int = 20
    time_zone: str = "Asia/Shanghai"
    lecture_completion_share: float = 0.9
    heartbeat_max_gap_seconds: int = 30
    statement_future_seconds: int = 300
    certificate_warning_days: int = 90
    search_dir: Path | None = None
    search_prefix: str = ""
    meilisearch_url: str = ""
    meilisearch_api_key: str = ""

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
    def objects_path(self) -> Path:
        return self.object_dir or self.var_dir / "objects"

    @property
    def search_path(self) -> Path:
        return self.search_dir or self.var_dir / "search"

    @property
    def queue_path(self) -> Path:
        return self.queue_file or self.var_dir / "tasks.db"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests use this instead of mutating config)."""
        return replace(self, **changes)

    def check(self) -> None:
        """Refuse unusable settings, and unsafe ones in production, naming the variable."""
        if self.upload_part_bytes < 5 * 1024 * 1024:
            raise ConfigError("UPLOAD_PART_BYTES: S3 needs parts of 5 MiB (5242880) at least")
        if self.search_engine == "meilisearch" and not self.meilisearch_url:
            raise ConfigError("MEILISEARCH_URL: required with SEARCH_ENGINE=meilisearch")
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
        if self.object_store == "local" and self.public_base_url.startswith("http://127."):
            problems.append(
                "PUBLIC_BASE_URL: set the address phones reach (local object URLs use it)"
            )
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


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {raw!r}")
        return value

    return parse


def _parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


def _parse_share(raw: str) -> float:
    value = float(raw)
    if not 0 < value <= 1:
        raise ValueError(f"expected a share between 0 and 1, got {raw!r}")
    return value


def _parse_time_zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"expected an IANA time zone such as Asia/Shanghai, got {raw!r}") from exc
    return raw


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
        "DATABASE_LOCK_TIMEOUT_SECONDS",
        "database_lock_timeout_seconds",
        float,
        "10",
        "longest wait for a lock held by another writer before answering 503 database_busy",
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
    _Variable(
        "PUBLIC_BASE_URL",
        "public_base_url",
        str,
        "http://127.0.0.1:8000",
        "address phones use to reach this service (local object-store URLs point here)",
    ),
    _Variable(
        "OBJECT_STORE",
        "object_store",
        _choice("local", "s3"),
        "local",
        "local: a folder served by the app; s3: any S3-compatible service",
    ),
    _Variable("OBJECT_DIR", "object_dir", Path, "var/objects", "folder of the local object store"),
    _Variable(
        "S3_ENDPOINT_URL",
        "s3_endpoint_url",
        str,
        "(AWS)",
        "S3 endpoint the service calls, e.g. http://seaweedfs:8333 or https://minio.internal",
    ),
    _Variable(
        "S3_PUBLIC_ENDPOINT_URL",
        "s3_public_endpoint_url",
        str,
        "S3_ENDPOINT_URL",
        "S3 endpoint named in presigned URLs, when phones reach S3 at another address",
    ),
    _Variable("S3_REGION", "s3_region", str, "us-east-1", "S3 region"),
    _Variable("S3_BUCKET", "s3_bucket", str, "jiangyun", "bucket (created when missing)"),
    _Variable("S3_ACCESS_KEY_ID", "s3_access_key_id", str, "(boto3's chain)", "S3 access key"),
    _Variable(
        "S3_SECRET_ACCESS_KEY", "s3_secret_access_key", str, "(boto3's chain)", "S3 secret key"
    ),
    _Variable(
        "S3_ADDRESSING_STYLE",
        "s3_addressing_style",
        _choice("path", "virtual", "auto"),
        "path",
        "path for MinIO/SeaweedFS; virtual for AWS",
    ),
    _Variable(
        "UPLOAD_URL_SECONDS",
        "upload_url_seconds",
        _parse_positive_int,
        "3600",
        "lifetime of presigned upload URLs",
    ),
    _Variable(
        "PLAYBACK_URL_SECONDS",
        "playback_url_seconds",
        _parse_positive_int,
        "900",
        "lifetime of presigned playback and download URLs",
    ),
    _Variable(
        "UPLOAD_SINGLE_MAX_BYTES",
        "upload_single_max_bytes",
        _parse_positive_int,
        "67108864",
        "largest upload sent as one PUT; larger ones are multipart",
    ),
    _Variable(
        "UPLOAD_PART_BYTES",
        "upload_part_bytes",
        _parse_positive_int,
        "16777216",
        "part size of multipart uploads (5 MiB at least)",
    ),
    _Variable(
        "MEDIA_MAX_BYTES",
        "media_max_bytes",
        _parse_positive_int,
        "4294967296",
        "largest media file an instructor may upload",
    ),
    _Variable(
        "UPLOAD_EXPIRY_HOURS",
        "upload_expiry_hours",
        _parse_positive_int,
        "24",
        "uploads not completed within this time are abandoned and cleaned up",
    ),
    _Variable(
        "RENDITION_MAX_HEIGHT",
        "rendition_max_height",
        _parse_positive_int,
        "480",
        "height of the mobile rendition; taller or heavier originals get one",
    ),
    _Variable(
        "RENDITION_MAX_BITRATE",
        "rendition_max_bitrate",
        _parse_positive_int,
        "1200000",
        "bits per second above which an original gets a mobile rendition",
    ),
    _Variable(
        "IMPORT_MAX_BYTES",
        "import_max_bytes",
        _parse_positive_int,
        "33554432",
        "largest question-bank file accepted for import (413 above)",
    ),
    _Variable(
        "IMPORT_MAX_UNZIPPED_BYTES",
        "import_max_unzipped_bytes",
        _parse_positive_int,
        "536870912",
        "largest unpacked size of an .xlsx (refuses zip bombs)",
    ),
    _Variable(
        "NEAR_DUPLICATE_THRESHOLD",
        "near_duplicate_threshold",
        _parse_positive_int,
        "90",
        "similarity (0–100) from which questions are reported as near-duplicates",
    ),
    _Variable(
        "SEARCH_ENGINE",
        "search_engine",
        _choice("embedded", "meilisearch"),
        "embedded",
        "embedded: SQLite FTS5 files under SEARCH_DIR; meilisearch: the server at MEILISEARCH_URL",
    ),
    _Variable("SEARCH_DIR", "search_dir", Path, "var/search", "folder of the embedded indexes"),
    _Variable(
        "SEARCH_PREFIX", "search_prefix", str, "(none)", "prefix of index names (several sites)"
    ),
    _Variable("MEILISEARCH_URL", "meilisearch_url", str, "(unset)", "e.g. http://meili:7700"),
    _Variable("MEILISEARCH_API_KEY", "meilisearch_api_key", str, "(unset)", "Meilisearch key"),
    _Variable(
        "QUIZ_DEADLINE_GRACE_SECONDS",
        "quiz_deadline_grace_seconds",
        _parse_positive_int,
        "5",
        "answers reaching the server this long after a timed session's deadline still count",
    ),
    _Variable(
        "QUIZ_DRAW_CACHE_SECONDS",
        "quiz_draw_cache_seconds",
        _parse_positive_int,
        "60",
        "how long a process reuses a rule section's list of eligible questions (newly published "
        "questions join draws after at most this long; withdrawn ones are never drawn)",
    ),
    _Variable(
        "DAILY_PRACTICE_QUESTIONS",
        "daily_practice_questions",
        _parse_positive_int,
        "10",
        "questions in a learner's daily practice (每日一练)",
    ),
    _Variable(
        "REVIEW_SESSION_QUESTIONS",
        "review_session_questions",
        _parse_positive_int,
        "20",
        "most due mistakes one review session (错题重练) asks",
    ),
    _Variable(
        "TIME_ZONE",
        "time_zone",
        _parse_time_zone,
        "Asia/Shanghai",
        "the learners' time zone: when a day's daily practice begins and ends",
    ),
    _Variable(
        "LECTURE_COMPLETION_SHARE",
        "lecture_completion_share",
        _parse_share,
        "0.9",
        "share of a microlecture's unique seconds a learner must watch to complete it",
    ),
    _Variable(
        "HEARTBEAT_MAX_GAP_SECONDS",
        "heartbeat_max_gap_seconds",
        _parse_positive_int,
        "30",
        "the most wall-clock time one heartbeat counts (players send one every 15 s; a longer "
        "silence ends the segment)",
    ),
    _Variable(
        "STATEMENT_FUTURE_SECONDS",
        "statement_future_seconds",
        _parse_positive_int,
        "300",
        "how far ahead of the server's clock a statement's timestamp may be before it is refused",
    ),
    _Variable(
        "CERTIFICATE_WARNING_DAYS",
        "certificate_warning_days",
        _parse_positive_int,
        "90",
        "certificates expiring within this many days are listed for renewal (?expiring=true)",
    ),
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
