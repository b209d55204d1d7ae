"""Settings from the environment (and a `.env` file), in one object."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with; names are the env variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///enrollment-stats.db",
        description="SQLAlchemy URL; the default is a SQLite file in the working folder.",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `serve` listens on.")
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#]+(/[^?#]*)?$",
        description="The address clients reach the service at (behind a proxy, its public "
        "one), for the absolute links of JSON-stat and SDMX answers; by default "
        "`http://{host}:{port}`.",
    )
    sdmx_agency: str = Field(
        default="ENRSTATS",
        pattern=r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$",
        max_length=50,
        description="The SDMX agency that maintains the dataflow, its data structure and "
        "codelists (an SDMX agency id).",
    )
    cors_origins: list[str] = Field(
        default=["*"], description="Origins allowed to read the API from a browser (JSON list)."
    )
    cache_max_age: int = Field(
        default=60, ge=0, description="Seconds in `Cache-Control: public, max-age=N`."
    )
    response_cache: bool = Field(
        default=True,
        description="Keep whole anonymous GET responses in memory, per data version.",
    )
    response_cache_bytes: int = Field(
        default=64 << 20,
        ge=0,
        description="Most bytes the response cache holds in each worker (least recently "
        "used answers go first).",
    )
    max_body_bytes: int = Field(
        default=1 << 20, ge=1024, description="Largest request body (413 above it)."
    )
    import_max_body_bytes: int = Field(
        default=64 << 20, ge=1024, description="Largest body of POST /api/v1/attendance/import."
    )
    import_max_rows: int = Field(default=2_000_000, ge=1, description="Most rows in one import.")
    write_rate_limit: int = Field(
        default=6000,
        ge=0,
        description="Writes per key per minute, over every worker and node; 0 turns it off.",
    )
    db_pool_size: int = Field(
        default=5, ge=1, description="Database connections each worker keeps open."
    )
    db_max_overflow: int = Field(
        default=10, ge=0, description="Connections a worker may open beyond the pool when busy."
    )
    db_wait_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Longest wait for a connection, a reader thread or a lock before the "
        "answer is 503 with Retry-After.",
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="SQLite's `synchronous`: FULL keeps every acknowledged write through a "
        "power cut; NORMAL is faster and may lose the last writes then.",
    )
    events_max_subscribers: int = Field(
        default=1000,
        ge=0,
        description="Most subscribers of `/api/v1/updates/stream` per worker; beyond it, 503.",
    )
    events_heartbeat_seconds: float = Field(
        default=15,
        gt=0,
        description="Seconds between the stream's heartbeat comments (proxies close "
        "connections that stay silent).",
    )
    access_log: bool = Field(
        default=True, description="Log every request as one JSON line on standard output."
    )
    log_level: str = Field(default="info", description="uvicorn log level.")
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's OpenTelemetry traces, metrics and logs, for a deployment that "
        "configures an OpenTelemetry SDK (off: it costs about a sixth of a cached answer).",
    )

    @property
    def base_url(self) -> str:
        """`public_url` without its trailing slash, or the address `serve` listens on."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
