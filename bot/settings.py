"""Every setting of the service, read once from `BALAGH_*` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_SECRET = "local-development-secret-change-me"  # noqa: S105 - refused outside local use
ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BALAGH_", env_file=".env", extra="ignore")

    environment: Literal["local", "production"] = "local"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    public_base_url: str = "http://localhost:8000"
    store_url: str = f"sqlite:///{ROOT / 'var' / 'balagh.db'}"
    catalogue_path: Path = ROOT / "catalogue.yml"
    rasa_url: str = "http://localhost:5005"
    dialogue_timeout_seconds: Annotated[float, Field(gt=0, le=5)] = 4.0
    rasa_bin: Path = ROOT / ".venv-rasa" / "bin" / "rasa"
    secret_key: SecretStr = SecretStr(LOCAL_SECRET)
    session_idle_minutes: Annotated[int, Field(ge=1)] = 30
    session_absolute_hours: Annotated[int, Field(ge=1)] = 12
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    embedded_worker: bool = True
    worker_interval_seconds: Annotated[float, Field(gt=0)] = 30
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _refuse_local_secret_in_production(self) -> "Settings":
        if self.environment != "local" and self.secret_key.get_secret_value() == LOCAL_SECRET:
            raise ValueError(
                "BALAGH_SECRET_KEY must be set to a long random value outside local use "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
