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
    attachments_dir: Path = ROOT / "var" / "attachments"
    max_upload_bytes: Annotated[int, Field(ge=1024)] = 10_485_760
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    sla_due_soon_hours: Annotated[float, Field(gt=0)] = 4
    login_attempts_per_user: Annotated[int, Field(ge=1)] = 5
    login_attempts_per_ip: Annotated[int, Field(ge=1)] = 30
    track_attempts_per_ip: Annotated[int, Field(ge=1)] = 30
    track_attempts_per_reference: Annotated[int, Field(ge=1)] = 5
    # Transactions (bot/transactions): how long a conversation waits for a system of record
    # before offering an SMS with the answer, and how long that SMS is tried for.
    transaction_answer_seconds: Annotated[float, Field(gt=0, le=3)] = 2.0
    transaction_followup_hours: Annotated[float, Field(gt=0)] = 24
    # Notifications: a channel without a configured account goes to the local outbox.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_sms_from: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_whatsapp_templates: dict[str, str] = {}
    twilio_api_base_url: str = "https://api.twilio.com"
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    # Channels: the Telegram webhook secret (set with `balagh telegram set-webhook`) and the
    # other sites allowed to embed the web chat (the service's own pages always are).
    telegram_secret_token: SecretStr | None = None
    webchat_origins: list[str] = []
    # The action endpoint (/webhook): when set, Rasa must send it (`token:` in endpoints.yml);
    # unset, only the local Rasa server (loopback) may call.
    actions_token: SecretStr | None = None
    # The 940 phone line (channels/voice): where employees answer transferred calls, whether
    # whole calls are recorded (callers are told), and the Twilio voice of each language.
    agents_number: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None
    record_calls: bool = False
    voice_arabic: str = "Polly.Hala-Neural"
    voice_english: str = "Polly.Joanna-Neural"
    provider_timeout_seconds: Annotated[float, Field(gt=0)] = 15
    notification_max_attempts: Annotated[int, Field(ge=1, le=50)] = 8
    notification_backoff_seconds: Annotated[float, Field(gt=0)] = 10
    notification_backoff_max_seconds: Annotated[float, Field(gt=0)] = 3600
    notification_lease_seconds: Annotated[float, Field(gt=0)] = 120
    notification_poll_seconds: Annotated[float, Field(gt=0)] = 1
    notification_batch: Annotated[int, Field(ge=1, le=1000)] = 100
    notification_concurrency: Annotated[int, Field(ge=1, le=200)] = 20

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> "Settings":
        """A lease that ends while its send still runs would let a second worker send too."""
        if self.notification_lease_seconds <= self.provider_timeout_seconds:
            raise ValueError(
                "BALAGH_NOTIFICATION_LEASE_SECONDS must be longer than "
                "BALAGH_PROVIDER_TIMEOUT_SECONDS"
            )
        return self

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
