"""Settings: the one place that reads the environment and turns it into typed values."""

from __future__ import annotations

import contextlib
import enum
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "VARIABLES",
    "ConfigError",
    "Environment",
    "Settings",
    "configuration_table",
    "load_settings",
]

_T = TypeVar("_T")


class ConfigError(ValueError):
    """A setting is missing, malformed or unsafe for the chosen environment."""


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


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


def _parse_proxy_count(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 5:
        raise ValueError(f"expected 0 to 5 proxies, got {raw!r}")
    return value


def _parse_share(raw: str) -> float:
    value = float(raw)
    if not 0 < value <= 1:
        raise ValueError(f"expected a share between 0 and 1, got {raw!r}")
    return value


def _parse_seconds(raw: str) -> float:
    value = float(raw)
    if not 0 < value < 86400:  # also refuses nan and inf
        raise ValueError(f"expected a number of seconds above 0, got {raw!r}")
    return value


def _parse_percent(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 100:
        raise ValueError(f"expected a whole percentage from 1 to 100, got {raw!r}")
    return value


def _parse_log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {raw!r}")
    return value


def _parse_environment(raw: str) -> Environment:
    try:
        return Environment(raw.strip().lower())
    except ValueError:
        raise ValueError(f"expected development, test or production, got {raw!r}") from None


def _parse_time_zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"expected an IANA time zone such as Asia/Shanghai, got {raw!r}") from exc
    return raw


@dataclass(frozen=True)
class _Declared:
    """What a field's metadata says about the environment variable that sets it."""

    name: str
    parse: Callable[[str], Any]
    meaning: str
    # Only for defaults computed elsewhere or empty; plain defaults are shown as they are.
    shown: str | None


_DECLARED = "config.variable"


def _variable(
    name: str, parse: Callable[[str], Any], meaning: str, shown: str | None = None
) -> dict[str, _Declared]:
    """The metadata of a field that an environment variable sets."""
    return {_DECLARED: _Declared(name, parse, meaning, shown)}


def setting(
    default: _T,
    name: str,
    parse: Callable[[str], _T],
    meaning: str,
    *,
    shown: str | None = None,
) -> _T:
    """A field of :class:`Settings` read from the environment variable ``name``.

    ``shown`` words the default for the README when the real one is computed or empty.
    """
    return field(default=default, metadata=_variable(name, parse, meaning, shown))


@dataclass(frozen=True)
class Settings:
    """Every setting of the service: its type, default and, for most, the variable that sets it.

    Build it with :func:`load_settings` (from the environment) or directly in tests. The fields'
    order is the README table's order.
    """

    # setting() returns a dataclasses.field(); ruff's RUF009 cannot see through the wrapper.
    environment: Environment = setting(  # noqa: RUF009
        Environment.DEVELOPMENT,
        "JIANGYUN_ENV",
        _parse_environment,
        "development, test or production; production refuses unsafe settings",
    )
    debug: bool = setting(False, "DEBUG", _parse_bool, "Flask debug mode (never in production)")
    var_dir: Path = field(
        default_factory=lambda: Path.cwd() / "var",
        metadata=_variable(
            "VAR_DIR",
            Path,
            "folder for the embedded database, objects, search index, task queue and dev secret",
            shown="./var",
        ),
    )
    secret_key: str = setting(
        "",
        "SECRET_KEY",
        str,
        "signs tokens and URLs; required in production (32+ characters)",
        shown="(generated once into var/secret_key)",
    )
    # Set by load_settings, never by the environment: production refuses a generated secret.
    secret_key_is_generated: bool = False
    database_url: str = setting(
        "",
        "DATABASE_URL",
        str,
        "SQLAlchemy URL; postgresql+psycopg://user:pass@host/db in production",
        shown="sqlite:///var/jiangyun.db",
    )
    database_lock_timeout_seconds: float = setting(
        10.0,
        "DATABASE_LOCK_TIMEOUT_SECONDS",
        _parse_seconds,
        "longest wait for a lock held by another writer before answering 503 database_busy",
    )
    redis_url: str = setting(
        "",
        "REDIS_URL",
        str,
        "when set, the task queue (RedisHuey) and rate limits use this Redis",
        shown="(unset)",
    )
    rate_limit_storage_url: str = setting(
        "",
        "RATE_LIMIT_STORAGE_URL",
        str,
        "flask-limiter storage URI, overriding REDIS_URL for rate limits (memory:// counts per "
        "process: tests only)",
        shown="REDIS_URL or var/limits.db",
    )
    login_rate_limit: str = setting(
        "10 per minute",
        "LOGIN_RATE_LIMIT",
        str,
        "failed sign-ins allowed per user name from one client address, and per address",
    )
    login_user_rate_limit: str = setting(
        "100 per hour",
        "LOGIN_USER_RATE_LIMIT",
        str,
        "failed sign-ins allowed per user name from all addresses together (a slower ceiling)",
    )
    verify_rate_limit: str = setting(
        "30 per minute",
        "VERIFY_RATE_LIMIT",
        str,
        "public certificate checks (GET /api/v1/verify/{code}) allowed per client address",
    )
    upload_url_rate_limit: str = setting(
        "100 per hour",
        "UPLOAD_URL_RATE_LIMIT",
        str,
        "upload URLs a user may ask for, evidence photos and clips and certificate scans "
        "together: what they PUT waits in staging until something takes it or the sweep does",
    )
    access_token_minutes: int = setting(
        15, "ACCESS_TOKEN_MINUTES", _parse_positive_int, "lifetime of an access token"
    )
    refresh_token_days: int = setting(
        30,
        "REFRESH_TOKEN_DAYS",
        _parse_positive_int,
        "lifetime of a refresh token (a login session)",
    )
    trusted_proxies: int = setting(
        0,
        "TRUSTED_PROXIES",
        _parse_proxy_count,
        "how many proxies in front of the app set X-Forwarded-For/-Proto (0: the connection's "
        "address is the client's; behind a load balancer set 1, or every user shares its "
        "address in sign-in limits)",
    )
    max_request_bytes: int = setting(
        16 * 1024 * 1024,
        "MAX_REQUEST_BYTES",
        _parse_positive_int,
        "largest request body the API accepts (413 above); big files go to presigned URLs",
    )
    tasks_immediate: bool = setting(
        False,
        "TASKS_IMMEDIATE",
        _parse_bool,
        "run background tasks inline instead of queueing them (tests only)",
    )
    tasks_isolated: bool = setting(
        True,
        "TASKS_ISOLATED",
        _parse_bool,
        "run imports, exports and media processing in a child process with the limits below, so "
        "a hostile file fails its own task (off only to speed up tests)",
    )
    task_memory_mb: int = setting(
        2048,
        "TASK_MEMORY_MB",
        _parse_positive_int,
        "address space an isolated task may use; a file needing more fails its task",
    )
    task_timeout_seconds: int = setting(
        3600,
        "TASK_TIMEOUT_SECONDS",
        _parse_positive_int,
        "longest an isolated task may run before it is stopped and fails",
    )
    queue_name: str = setting("jiangyun", "QUEUE_NAME", str, "name of the task queue")
    queue_file: Path | None = setting(  # noqa: RUF009
        None,
        "QUEUE_FILE",
        Path,
        "SQLite file of the task queue when REDIS_URL is unset",
        shown="var/tasks.db",
    )
    worker_count: int = setting(
        2, "WORKER_COUNT", _parse_positive_int, "threads of the background-task consumer"
    )
    log_level: str = setting(
        "INFO", "LOG_LEVEL", _parse_log_level, "level of the JSON logs on stderr"
    )
    public_base_url: str = setting(
        "",
        "PUBLIC_BASE_URL",
        str,
        "address phones use to reach this service (local object-store URLs point here); "
        "unset: the address each request came to",
        shown="the request's address",
    )
    object_store: str = setting(
        "local",
        "OBJECT_STORE",
        _choice("local", "s3"),
        "local: a folder served by the app; s3: any S3-compatible service",
    )
    object_dir: Path | None = setting(  # noqa: RUF009
        None, "OBJECT_DIR", Path, "folder of the local object store", shown="var/objects"
    )
    s3_endpoint_url: str = setting(
        "",
        "S3_ENDPOINT_URL",
        str,
        "S3 endpoint the service calls, e.g. http://seaweedfs:8333 or https://minio.internal",
        shown="(AWS)",
    )
    s3_public_endpoint_url: str = setting(
        "",
        "S3_PUBLIC_ENDPOINT_URL",
        str,
        "S3 endpoint named in presigned URLs, when phones reach S3 at another address",
        shown="S3_ENDPOINT_URL",
    )
    s3_region: str = setting("us-east-1", "S3_REGION", str, "S3 region")
    s3_bucket: str = setting("jiangyun", "S3_BUCKET", str, "bucket (created when missing)")
    s3_access_key_id: str = setting(
        "", "S3_ACCESS_KEY_ID", str, "S3 access key", shown="(boto3's chain)"
    )
    s3_secret_access_key: str = setting(
        "", "S3_SECRET_ACCESS_KEY", str, "S3 secret key", shown="(boto3's chain)"
    )
    s3_addressing_style: str = setting(
        "path",
        "S3_ADDRESSING_STYLE",
        _choice("path", "virtual", "auto"),
        "path for MinIO/SeaweedFS; virtual for AWS",
    )
    upload_url_seconds: int = setting(
        3600, "UPLOAD_URL_SECONDS", _parse_positive_int, "lifetime of presigned upload URLs"
    )
    playback_url_seconds: int = setting(
        900,
        "PLAYBACK_URL_SECONDS",
        _parse_positive_int,
        "lifetime of presigned playback and download URLs",
    )
    upload_single_max_bytes: int = setting(
        64 * 1024 * 1024,
        "UPLOAD_SINGLE_MAX_BYTES",
        _parse_positive_int,
        "largest upload sent as one PUT; larger ones are multipart",
    )
    upload_part_bytes: int = setting(
        16 * 1024 * 1024,
        "UPLOAD_PART_BYTES",
        _parse_positive_int,
        "part size of multipart uploads (5 MiB at least)",
    )
    media_max_bytes: int = setting(
        4 * 1024 * 1024 * 1024,
        "MEDIA_MAX_BYTES",
        _parse_positive_int,
        "largest media file an instructor may upload",
    )
    upload_expiry_hours: int = setting(
        24,
        "UPLOAD_EXPIRY_HOURS",
        _parse_positive_int,
        "uploads not completed within this time are abandoned and cleaned up",
    )
    rendition_max_height: int = setting(
        480,
        "RENDITION_MAX_HEIGHT",
        _parse_positive_int,
        "height of the mobile rendition; taller or heavier originals get one",
    )
    rendition_max_bitrate: int = setting(
        1_200_000,
        "RENDITION_MAX_BITRATE",
        _parse_positive_int,
        "bits per second above which an original gets a mobile rendition",
    )
    import_max_bytes: int = setting(
        32 * 1024 * 1024,
        "IMPORT_MAX_BYTES",
        _parse_positive_int,
        "largest question-bank file accepted for import (413 above)",
    )
    import_max_unzipped_bytes: int = setting(
        512 * 1024 * 1024,
        "IMPORT_MAX_UNZIPPED_BYTES",
        _parse_positive_int,
        "largest unpacked size of an .xlsx (refuses zip bombs)",
    )
    import_max_rows: int = setting(
        100_000,
        "IMPORT_MAX_ROWS",
        _parse_positive_int,
        "most rows (questions) one import file may hold; larger files are refused at once",
    )
    near_duplicate_threshold: int = setting(
        90,
        "NEAR_DUPLICATE_THRESHOLD",
        _parse_percent,
        "similarity (0–100) from which questions are reported as near-duplicates",
    )
    search_engine: str = setting(
        "embedded",
        "SEARCH_ENGINE",
        _choice("embedded", "meilisearch"),
        "embedded: SQLite FTS5 files under SEARCH_DIR; meilisearch: the server at MEILISEARCH_URL",
    )
    search_dir: Path | None = setting(  # noqa: RUF009
        None, "SEARCH_DIR", Path, "folder of the embedded indexes", shown="var/search"
    )
    search_prefix: str = setting(
        "", "SEARCH_PREFIX", str, "prefix of index names (several sites)", shown="(none)"
    )
    meilisearch_url: str = setting(
        "", "MEILISEARCH_URL", str, "e.g. http://meili:7700", shown="(unset)"
    )
    meilisearch_api_key: str = setting(
        "", "MEILISEARCH_API_KEY", str, "Meilisearch key", shown="(unset)"
    )
    quiz_deadline_grace_seconds: int = setting(
        5,
        "QUIZ_DEADLINE_GRACE_SECONDS",
        _parse_positive_int,
        "answers reaching the server this long after a timed session's deadline still count",
    )
    evaluation_sync_grace_hours: int = setting(
        72,
        "EVALUATION_SYNC_GRACE_HOURS",
        _parse_positive_int,
        "a practical scoring made offline before an evaluation's validity ended is still accepted "
        "this long after (the application lapses then)",
    )
    quiz_draw_cache_seconds: int = setting(
        60,
        "QUIZ_DRAW_CACHE_SECONDS",
        _parse_positive_int,
        "how long a process reuses a rule section's list of eligible questions (newly published "
        "questions join draws after at most this long; withdrawn ones are never drawn)",
    )
    daily_practice_questions: int = setting(
        10,
        "DAILY_PRACTICE_QUESTIONS",
        _parse_positive_int,
        "questions in a learner's daily practice (每日一练)",
    )
    review_session_questions: int = setting(
        20,
        "REVIEW_SESSION_QUESTIONS",
        _parse_positive_int,
        "most due mistakes one review session (错题重练) asks",
    )
    time_zone: str = setting(
        "Asia/Shanghai",
        "TIME_ZONE",
        _parse_time_zone,
        "the learners' time zone: when a day's daily practice begins and ends",
    )
    lecture_completion_share: float = setting(
        0.9,
        "LECTURE_COMPLETION_SHARE",
        _parse_share,
        "share of a microlecture's unique seconds a learner must watch to complete it",
    )
    heartbeat_max_gap_seconds: int = setting(
        30,
        "HEARTBEAT_MAX_GAP_SECONDS",
        _parse_positive_int,
        "the most wall-clock time one heartbeat counts (players send one every 15 s; a longer "
        "silence ends the segment)",
    )
    statement_future_seconds: int = setting(
        300,
        "STATEMENT_FUTURE_SECONDS",
        _parse_positive_int,
        "how far ahead of the server's clock a statement's timestamp may be before it is refused",
    )
    statement_past_days: int = setting(
        30,
        "STATEMENT_PAST_DAYS",
        _parse_positive_int,
        "how long a phone may keep statements offline: older timestamps are refused",
    )
    certificate_warning_days: int = setting(
        90,
        "CERTIFICATE_WARNING_DAYS",
        _parse_positive_int,
        "certificates expiring within this many days are listed for renewal (?expiring=true)",
    )

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'jiangyun.db'}"

    @property
    def uses_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def limiter_storage_uri(self) -> str:
        # Without Redis, a SQLite file: every web process of the machine counts together.
        shared = f"jiangyun-sqlite://{self.var_dir / 'limits.db'}"
        return self.rate_limit_storage_url or self.redis_url or shared

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
        if self.object_store == "local" and (
            not self.public_base_url or _is_loopback(self.public_base_url)
        ):
            problems.append(
                "PUBLIC_BASE_URL: set the address phones reach (local object URLs use it)"
            )
        if problems:
            raise ConfigError(
                "Refusing to start in production / 生产环境配置不安全: " + "; ".join(problems)
            )


@dataclass(frozen=True)
class _Variable:
    """An environment variable as the README documents it, and the field it sets."""

    name: str
    attribute: str
    parse: Callable[[str], Any]
    default: str
    meaning: str


def _shown_default(declaration: Field[Any], declared: _Declared) -> str:
    """The default as the README shows it: the plain value itself, or what the field says."""
    value = declaration.default
    plain = value is not MISSING and value is not None and value != ""
    if declared.shown is not None:
        if plain:
            # A plain default written twice could drift from the code; the value is shown instead.
            raise TypeError(f"{declared.name}: shown= is for computed or empty defaults only")
        return declared.shown
    if not plain:
        raise TypeError(f"{declared.name}: say with shown= what the computed or empty default is")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _variables() -> tuple[_Variable, ...]:
    found = []
    for declaration in fields(Settings):
        declared: _Declared | None = declaration.metadata.get(_DECLARED)
        if declared is not None:
            shown = _shown_default(declaration, declared)
            found.append(
                _Variable(declared.name, declaration.name, declared.parse, shown, declared.meaning)
            )
    return tuple(found)


# One entry per field the environment sets, in the fields' order: load_settings reads them,
# and README's configuration table is generated from them.
VARIABLES: tuple[_Variable, ...] = _variables()


def configuration_table() -> str:
    """README's configuration table (Markdown), as ``python -m config`` prints it."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{v.name}` | {v.default} | {v.meaning} |" for v in VARIABLES]
    return "\n".join(rows)


def _read(environ: Mapping[str, str], variable: _Variable) -> Any:
    raw = environ.get(variable.name)
    if raw is None or raw == "":
        return _MISSING
    try:
        return variable.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{variable.name}: {exc}") from exc


_MISSING = object()


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host in {"::1", "0.0.0.0"}


def _development_secret(var_dir: Path) -> str:
    """A random secret generated on first use and kept under var/ so tokens survive restarts.

    Written whole under a temporary name and linked into place, so that two processes starting
    together agree on one secret and none ever reads a half-written file.
    """
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):  # another process linked its own first
                os.link(temporary, path)
        finally:
            Path(temporary).unlink()
    secret = path.read_text(encoding="ascii").strip()
    if not secret:
        raise ConfigError(f"SECRET_KEY: {path} is empty; delete it to generate a new secret")
    return secret


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from environment variables (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable in VARIABLES:
        value = _read(env, variable)
        if value is not _MISSING:
            values[variable.attribute] = value
    # Relative folders are resolved once, here: every process then agrees whatever its cwd.
    for folder in ("var_dir", "queue_file", "object_dir", "search_dir"):
        if folder in values:
            values[folder] = values[folder].resolve()
    settings = Settings(**values)
    if not settings.secret_key and settings.environment is not Environment.PRODUCTION:
        settings = replace(
            settings,
            secret_key=_development_secret(settings.var_dir),
            secret_key_is_generated=True,
        )
    settings.check()
    return settings
