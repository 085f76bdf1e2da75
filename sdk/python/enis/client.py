"""The synchronous client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
from httpx_sse import EventSource

from . import _shared as shared
from ._retry import RetryPolicy
from .errors import EnisError
from .events import Cursor, Resume, StreamEvent


class Client:
    """A client of the gateway's native API: inference, resumable streams, batches, audit."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._token = token
        self._retry = retry
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def infer(
        self, request: shared.InferenceRequest | dict[str, Any], *, request_id: str | None = None
    ) -> shared.InferenceResponse:
        """One inference, the whole output at once."""
        response = self._send("POST", shared.INFER, request_id, json=shared.body(request))
        return shared.InferenceResponse.model_validate(response.json())

    def stream(
        self, request: shared.InferenceRequest | dict[str, Any], *, request_id: str | None = None
    ) -> Iterator[StreamEvent]:
        """One inference as its events (Resume, Text, Done), resumed when it is cut."""
        opened = self._send(
            "POST", shared.STREAM, request_id, json=shared.body(request), stream=True
        )
        return self._follow(opened, Cursor(), request_id)

    def resume(self, token: str, last_event_id: int | None = None) -> Iterator[StreamEvent]:
        """Resumes a stream from a resume token, after event ``last_event_id``."""
        payload, extra = shared.resume_request(token, last_event_id)
        opened = self._send("POST", shared.RESUME, None, json=payload, headers=extra, stream=True)
        return self._follow(opened, Cursor(), None)

    def submit_batch(self, request: shared.BatchRequest | dict[str, Any]) -> shared.Batch:
        response = self._send("POST", shared.BATCHES, None, json=shared.body(request))
        return shared.Batch.model_validate(response.json())

    def get_batch(self, batch_id: str) -> shared.Batch:
        response = self._send("GET", f"{shared.BATCHES}/{batch_id}", None)
        return shared.Batch.model_validate(response.json())

    def wait_for_batch(self, batch_id: str, *, interval_s: float = 0.5) -> shared.Batch:
        """Polls the batch until it is completed or cancelled."""
        while (batch := self.get_batch(batch_id)).status.value not in shared.FINISHED:
            time.sleep(interval_s)
        return batch

    def batch_results(self, batch_id: str, *, limit: int = 100) -> Iterator[Any]:
        """Every result of a batch in item order, read ``limit`` a page."""
        cursor: str | None = None
        while True:
            params = {"limit": limit} | ({} if cursor is None else {"cursor": cursor})
            response = self._send(
                "GET", f"{shared.BATCHES}/{batch_id}/results", None, params=params
            )
            page = shared.BatchPage.model_validate(response.json())
            yield from page.data
            if (cursor := page.next_cursor) is None:
                return

    def export_audit(
        self, *, tenant: str | None = None, since: str | None = None, until: str | None = None
    ) -> list[dict[str, Any]]:
        """The audit export: receipts between their checkpoints, one dict per NDJSON line."""
        params = shared.audit_params(tenant, since, until)
        return shared.ndjson(self._send("GET", shared.AUDIT_EXPORT, None, params=params).text)

    def _follow(
        self, response: httpx.Response, cursor: Cursor, request_id: str | None
    ) -> Iterator[StreamEvent]:
        quiet = 0
        while True:
            try:
                for sse in EventSource(response).iter_sse():
                    if (event := cursor.read(sse)) is None:
                        continue
                    yield event
                    if cursor.done:
                        return
                    if not isinstance(event, Resume):
                        quiet = 0
            except httpx.TransportError:
                pass  # the connection was cut: resume below
            finally:
                response.close()
            if cursor.token is None or quiet >= self._retry.max_resumes:
                raise ConnectionError(
                    f"The stream ended after event {cursor.offset} and could not be resumed."
                )
            time.sleep(self._retry.backoff(quiet))
            quiet += 1
            payload, extra = shared.resume_request(cursor.token, cursor.offset)
            response = self._send(
                "POST", shared.RESUME, request_id, json=payload, headers=extra, stream=True
            )

    def _send(
        self,
        method: str,
        path: str,
        request_id: str | None,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        **options: Any,
    ) -> httpx.Response:
        """One call until it succeeds or may not be retried, the same x-request-id each time."""
        sent = shared.headers(self._token, request_id) | (headers or {})
        attempt = 0
        while True:
            try:
                request = self._http.build_request(method, path, headers=sent, **options)
                response = self._http.send(request, stream=stream)
            except httpx.TransportError:
                if attempt >= self._retry.max_retries:
                    raise
                time.sleep(self._retry.backoff(attempt))
                attempt += 1
                continue
            if response.is_success:
                return response
            response.read()
            response.close()
            error = EnisError.from_response(response)
            if not error.retryable or attempt >= self._retry.max_retries:
                raise error
            time.sleep(
                error.retry_after_s
                if error.retry_after_s is not None
                else self._retry.backoff(attempt)
            )
            attempt += 1
