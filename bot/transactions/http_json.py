"""The generic connector: a system that answers `GET <url>` with JSON, configured, not coded.

In catalogue.yml, under `transaction_systems.<code>.config`:

    url: "https://permits.example.gov.sa/api/v1/permits/{number}"
    auth_header: Authorization          # optional: a header sent with every request…
    auth_env: BALAGH_PERMITS_TOKEN      # …whose value is this environment variable's
    timeout_seconds: 8                  # the longest one request may take
    not_found_status: [404]             # answers meaning "no such transaction"
    fields:                             # Balagh's field: its path in the system's JSON
      stage: status.code
      changed_at: status.updated_at
      national_id: applicant.national_id

Any other non-2xx answer, a timeout or a refused connection means the system is unavailable;
JSON without a configured path, or with a list or an object where a value should be, is a
malformed answer.
"""

import os
from collections.abc import Mapping
from typing import Annotated, Any, Final
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.transactions.connector import (
    REQUIRED_FIELDS,
    MalformedAnswer,
    SystemUnavailable,
    TransactionNotFound,
)

MAX_ANSWER_BYTES: Final = 262_144
EnvName = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]


class HttpJsonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, Field(pattern=r"^https?://[^\s]*\{number\}[^\s]*$")]
    auth_header: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+$")] | None = None
    auth_env: EnvName | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10
    not_found_status: tuple[Annotated[int, Field(ge=400, le=499)], ...] = (404,)
    fields: dict[str, Annotated[str, Field(pattern=r"^[^.\s]+(\.[^.\s]+)*$")]]

    @model_validator(mode="after")
    def _complete(self) -> "HttpJsonConfig":
        missing = sorted(REQUIRED_FIELDS - self.fields.keys())
        if missing:
            raise ValueError(f"fields must map {', '.join(missing)}")
        if (self.auth_header is None) != (self.auth_env is None):
            raise ValueError("auth_header and auth_env go together")
        if self.auth_env is not None and not os.environ.get(self.auth_env):
            raise ValueError(f"the environment variable {self.auth_env} is not set")
        return self


class HttpJsonConnector:
    def __init__(self, config: HttpJsonConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http
        self.fields = frozenset(config.fields)
        self.headers = {"Accept": "application/json"}
        if config.auth_header and config.auth_env:
            self.headers[config.auth_header] = os.environ[config.auth_env]

    async def fetch(self, number: str) -> Mapping[str, str]:
        url = self.config.url.format(number=quote(number, safe=""))
        try:
            response = await self.http.get(
                url, headers=self.headers, timeout=self.config.timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise SystemUnavailable(f"GET {url}: {type(exc).__name__}") from exc
        if response.status_code in self.config.not_found_status:
            raise TransactionNotFound(number)
        if not response.is_success:
            raise SystemUnavailable(f"GET {url}: HTTP {response.status_code}")
        if len(response.content) > MAX_ANSWER_BYTES:
            raise MalformedAnswer(f"GET {url}: {len(response.content)} bytes")
        try:
            answer = response.json()
        except ValueError as exc:
            raise MalformedAnswer(f"GET {url}: not JSON") from exc
        return {field: _value(answer, path, url) for field, path in self.config.fields.items()}


def _value(answer: Any, path: str, url: str) -> str:
    found = answer
    for part in path.split("."):
        if not isinstance(found, dict) or part not in found:
            raise MalformedAnswer(f"GET {url}: no {path}")
        found = found[part]
    if isinstance(found, bool) or not isinstance(found, str | int | float):
        raise MalformedAnswer(f"GET {url}: {path} is not a value")
    return str(found)


def build(config: Mapping[str, Any], http: httpx.AsyncClient) -> HttpJsonConnector:
    return HttpJsonConnector(HttpJsonConfig.model_validate(dict(config)), http)
