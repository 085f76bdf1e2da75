"""The typed error of every gateway error answer, HTTP or mid-stream (docs/errors.md)."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .error_codes import ErrorCode


class EnisError(Exception):
    """An error the gateway answered: a code of the closed vocabulary, the HTTP status, whether
    asking again may succeed, and after how many seconds (``Retry-After``)."""

    def __init__(
        self, body: dict[str, Any], status: int, retry_after_s: float | None = None
    ) -> None:
        super().__init__(body.get("message", ""))
        self.code: ErrorCode = body["code"]
        self.message: str = body.get("message", "")
        self.status = status
        self.retryable: bool = bool(body.get("retryable", False))
        self.request_id: str | None = body.get("request_id")
        self.details: dict[str, Any] = body.get("details") or {}
        self.retry_after_s = retry_after_s

    @classmethod
    def from_response(cls, response: httpx.Response) -> EnisError:
        """The typed error of a non-2xx response (its body already read)."""
        try:
            body = json.loads(response.text)["error"]
        except (ValueError, KeyError, TypeError):
            # Only something in front of the gateway (a proxy) answers without the error body.
            body = {
                "code": "UPSTREAM_UNAVAILABLE" if response.status_code >= 500 else "BAD_REQUEST",
                "message": f"HTTP {response.status_code} without an error body",
                "retryable": response.status_code >= 500,
            }
        return cls(body, response.status_code, retry_after(response.headers.get("retry-after")))


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
