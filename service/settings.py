"""The one settings object: environment variables with the `TTHC_` prefix.

Defaults run offline on a laptop. Nothing else in the product reads the environment.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_", extra="ignore")

    data_dir: Path = Path("./data")
    corpus_dir: Path = Path("./corpus")
    embed_model: str | None = None  # local path; None = the bundled all-MiniLM-L6-v2
    embed_segmented: bool | None = None  # None = detect from the model's vocabulary
    admin_api_key: str | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    cors_origins: str = ""
    max_query_chars: int = 2000
    max_k: int = 50


@cache
def get_settings() -> Settings:
    return Settings()
