"""Retries of one request: same x-request-id on every attempt, Retry-After honoured."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Retries after the first attempt; a backoff (full jitter, doubling from ``base_delay_s``
    up to ``max_delay_s``) when the gateway names no wait; resumes of a cut stream in a row."""

    max_retries: int = 2
    base_delay_s: float = 0.25
    max_delay_s: float = 8.0
    max_resumes: int = 5

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))
