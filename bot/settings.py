"""Every setting of the service, read once from `BALAGH_*` environment variables."""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, IPvAnyNetwork, SecretStr, ValidationError, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_SECRET = "local-development-secret-change-me"  # noqa: S105 - refused outside local use
ROOT = Path(__file__).resolve().parents[1]
MIN_SECRET_LENGTH = 32
CountryCode = Annotated[int, Field(ge=1, le=999)]  # a calling code: 966 for +966


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
    # "json": one JSON object per line (for a log collector), with the turn's request id
    log_format: Literal["text", "json"] = "text"
    # Several service replicas: the Redis that carries the web chat's socket.io messages
    # between them (unset: one process)
    redis_url: str | None = None
    # /metrics: when set, Prometheus must send it as a bearer token; unset, loopback only
    metrics_token: SecretStr | None = None
    # On SIGTERM, requests already being answered get this long to finish
    shutdown_grace_seconds: Annotated[int, Field(ge=1, le=120)] = 20
    # On SIGTERM, first report not ready this long while still serving, so a load balancer
    # takes the replica out before it stops listening (0: stop listening at once)
    drain_seconds: Annotated[float, Field(ge=0, le=60)] = 0
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
    # The action endpoint (/webhook): when set, Rasa must send it as `Authorization: Bearer …`
    # (`headers:` in endpoints.yml); unset (local use only), only loopback may call.
    actions_token: SecretStr | None = None
    # Behind a load balancer: the proxies (addresses or networks) whose X-Forwarded-For names
    # the client. Nobody else's is believed.
    trusted_proxies: list[IPvAnyNetwork] = []
    # Intake from the web (portal, JSON API, web chat), counted in the store across replicas.
    reports_per_address_per_hour: Annotated[int, Field(ge=1)] = 20
    reports_per_phone_per_day: Annotated[int, Field(ge=1)] = 10
    # A phone typed on the web gets one code by SMS; it must be entered within this time.
    phone_code_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    phone_code_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    # SMS and WhatsApp go only to these country calling codes, and at most this many a day to
    # one number (staff notices excepted).
    phone_country_codes: Annotated[
        list[Annotated[int, Field(ge=1, le=999)]], Field(min_length=1)
    ] = [966]
    messages_per_phone_per_day: Annotated[int, Field(ge=1)] = 10
    # Web chat photo uploads: per chat session and per client address, each per hour; an upload
    # no complaint took is deleted after this many hours.
    webchat_uploads_per_session: Annotated[int, Field(ge=1)] = 10
    webchat_uploads_per_address: Annotated[int, Field(ge=1)] = 30
    unclaimed_upload_hours: Annotated[float, Field(gt=0)] = 6
    # Recordings and voicemails of complaints older than this are deleted by the worker.
    recording_retention_days: Annotated[int, Field(ge=1)] = 365
    # Pages for trying the service: on in local use, off in production unless switched on.
    api_docs: bool | None = None
    simulator: bool | None = None
    webchat_demo: bool | None = None
    # Outbound webhooks may reach these private networks in production (nothing else private).
    webhook_allowed_networks: list[IPvAnyNetwork] = []
    # The 940 phone line (channels/voice): where employees answer transferred calls, whether
    # whole calls are recorded (callers are told), and the Twilio voice of each language.
    agents_number: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None
    record_calls: bool = False
    voice_arabic: str = "Polly.Hala-Neural"
    voice_english: str = "Polly.Joanna-Neural"
    # The phone line under load. A turn the dialogue has not answered after
    # `voice_hold_after_seconds` is a hold ("one moment"), and Twilio comes back for the
    # answer; only past `voice_turn_limit_seconds`, or when it fails, is the dialogue down
    # (an apology and a voicemail). Past `voice_call_limit` calls at once (the capacity
    # `make bench-callers` measures, counted over every replica; 0: no limit), new callers
    # hear that the lines are busy and are offered a call-back or a voicemail.
    voice_hold_after_seconds: Annotated[float, Field(gt=0, le=10)] = 2
    voice_turn_limit_seconds: Annotated[float, Field(gt=0, le=120)] = 30
    voice_call_limit: Annotated[int, Field(ge=0)] = 200
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
    def _hold_before_the_limit(self) -> "Settings":
        if self.voice_hold_after_seconds >= self.voice_turn_limit_seconds:
            raise ValueError(
                "BALAGH_VOICE_HOLD_AFTER_SECONDS must be shorter than "
                "BALAGH_VOICE_TURN_LIMIT_SECONDS"
            )
        return self

    def shows(self, page: bool | None) -> bool:
        """Whether a page for trying the service is served: on in local use unless switched off."""
        return page if page is not None else self.environment == "local"

    @property
    def uses_twilio(self) -> bool:
        return any(
            (
                self.twilio_account_sid,
                self.twilio_sms_from,
                self.twilio_whatsapp_from,
                self.agents_number,
            )
        )


class UnsafeSettings(ValueError):
    """Settings the service refuses to start with; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (brackets of an IPv6 URL host allowed)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def problems(settings: Settings) -> list[str]:
    """Why these settings are unsafe to start with (empty when they are fine).

    Local mode has built-in secrets and conveniences, so it only runs on loopback; production
    needs its own secrets for everything it exposes.
    """
    found: list[str] = []
    if settings.environment == "local":
        if not is_loopback(settings.host):
            found.append(
                f"BALAGH_HOST={settings.host} listens beyond this machine: local mode is for "
                "loopback only; set BALAGH_ENVIRONMENT=production"
            )
        public = urlsplit(settings.public_base_url).hostname or ""
        if not is_loopback(public):
            found.append(
                f"BALAGH_PUBLIC_BASE_URL={settings.public_base_url} is not a loopback address: "
                "local mode is for this machine only; set BALAGH_ENVIRONMENT=production"
            )
        return found
    secret = _secret(settings.secret_key)
    if secret == LOCAL_SECRET or len(secret) < MIN_SECRET_LENGTH:
        found.append(
            f"BALAGH_SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} characters "
            'in production (python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    if len(_secret(settings.actions_token)) < MIN_SECRET_LENGTH:
        found.append(
            f"BALAGH_ACTIONS_TOKEN must be a random value of at least {MIN_SECRET_LENGTH} "
            "characters in production: the dialogue core sends it to the action endpoint"
        )
    if settings.uses_twilio and not _secret(settings.twilio_auth_token):
        found.append(
            "BALAGH_TWILIO_AUTH_TOKEN must be set: Twilio is configured, and its webhooks are "
            "checked with that token"
        )
    if _secret(settings.telegram_bot_token) and not _secret(settings.telegram_secret_token):
        found.append(
            "BALAGH_TELEGRAM_SECRET_TOKEN must be set: Telegram is configured, and its webhook "
            "is checked with that secret"
        )
    return found


def check_safe(settings: Settings) -> None:
    """Raise UnsafeSettings, listing every problem, unless the settings are safe to run."""
    found = problems(settings)
    if found:
        raise UnsafeSettings(found)


@lru_cache
def get_settings() -> Settings:
    """The settings from the environment (and .env); UnsafeSettings, one line per value that
    is not valid, when one is not (the values themselves are left out: some are secrets)."""
    try:
        return Settings()
    except ValidationError as invalid:
        raise UnsafeSettings([_invalid(error) for error in invalid.errors()]) from None


def _invalid(error: ErrorDetails) -> str:
    field = "_".join(str(part) for part in error["loc"])
    return f"BALAGH_{field.upper()}: {error['msg']}" if field else str(error["msg"])
