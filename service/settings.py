"""The one settings object: environment variables with the `TTHC_` prefix.

Defaults run offline on a laptop. Nothing else in the product reads the environment.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.resources import CORPUS


def default_corpus() -> Path:
    """`./corpus` when the working directory has one (the checkout), else the corpus the
    installed package ships, so `tthc ingest` and `tthc serve` work from any folder."""
    local = Path("./corpus")
    return local if local.is_dir() else CORPUS


# The national portal's crawl, where the workplace keeps it beside the checkout. It is never
# committed: the default build imports from it when it is there (`TTHC_PORTAL_DIR` points
# elsewhere, or is set empty to import none).
PORTAL = Path("../shared/data/dvcqg-procedures")


def default_portal() -> Path | None:
    return PORTAL if PORTAL.is_dir() else None


LOG_LEVELS = ("debug", "info", "warning", "error")  # TTHC_LOG_LEVEL, any case


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_", extra="ignore")

    data_dir: Path = Path("./data")
    corpus_dir: Path = Field(default_factory=default_corpus)  # TTHC_CORPUS_DIR overrides
    portal_dir: Path | None = Field(default_factory=default_portal)
    # The portal records the default build takes: those whose executing level names this
    # (the commune's ~588 of 2,642); "" takes them all.
    portal_level: str = "Cấp xã"
    # Processes that segment the texts of a build (`retriever.workers`): the cores by default;
    # 1 segments in the building process. The index is the same for any count.
    ingest_workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    embed_model: str | None = None  # local path; None = the bundled all-MiniLM-L6-v2
    embed_segmented: bool | None = None  # None = detect from the model's vocabulary
    admin_api_key: str | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    cors_origins: str = ""
    max_query_chars: int = 2000
    max_k: int = 50
    # Officers' key for the authenticated officer view (internal documents); the admin key
    # also opens it. Unset: only the admin key does.
    officer_api_key: str | None = None
    # Evaluators' key, sent as `X-Eval-Key` by `tthc eval --url`: its requests skip the
    # per-client rate limit (a 200-question run from one address) and nothing else; it opens
    # no officer or admin route, and must differ from their keys.
    eval_api_key: str | None = None
    # Hardening (issue 6).
    max_body_bytes: int = 64 * 1024  # JSON requests; uploads have their own limit
    max_upload_bytes: int = 20 * 1024 * 1024
    rate_limit_per_minute: int = 30  # questions (ask, search) per client per minute
    rate_limit_burst: int = 10
    engine_threads: int = 2  # questions answered at once (the cores); the rest wait their turn
    request_timeout_s: float = 30.0  # a question that takes longer gets a 503, not a hang
    retention_days: int = 30  # stored questions and feedback older than this are purged
    trust_proxy: bool = False  # take the client address from X-Forwarded-For
    # Optional LLM (issue 7): off unless llm_base_url is set.
    llm_timeout_s: float = 8.0
    llm_retries: int = 1
    llm_breaker_failures: int = 3  # consecutive failures that open the circuit
    llm_breaker_reset_s: float = 30.0  # how long an open circuit stays open
    llm_temperature: float = 0.0
    # Log lines (`service.privacy.configure_logging`): debug also lets through what faiss,
    # bm25s, sentence-transformers, transformers and httpx say below a warning.
    log_level: str = "info"

    @field_validator("ingest_workers")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                f"TTHC_INGEST_WORKERS={value}: số tiến trình tách từ khi nạp phải từ 1 trở lên "
                f"(máy này có {os.cpu_count()} lõi)"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().lower()
        if level not in LOG_LEVELS:
            raise ValueError(
                f"TTHC_LOG_LEVEL={value}: mức ghi nhật ký phải là một trong "
                + ", ".join(LOG_LEVELS)
            )
        return level

    @model_validator(mode="after")
    def _eval_key_is_its_own(self) -> Settings:
        if self.eval_api_key and self.eval_api_key in (self.officer_api_key, self.admin_api_key):
            raise ValueError(
                "TTHC_EVAL_API_KEY phải khác TTHC_OFFICER_API_KEY và TTHC_ADMIN_API_KEY: "
                "khóa đánh giá không được mở các trang của cán bộ hay quản trị"
            )
        return self

    @field_validator("portal_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


@cache
def get_settings() -> Settings:
    return Settings()
