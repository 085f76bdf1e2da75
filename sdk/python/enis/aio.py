"""The asyncio client: the same calls as Client, awaited; cancelling the task cancels the call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import EventSource

from . import _shared as shared
from ._retry import RetryPolicy
from .errors import EnisError
from .events import Cursor, Resume, StreamEvent


class AsyncClient:
    """A client of the gateway's native API: inference, resumable streams, batches, audit."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 60.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._token = token
        self._retry = retry
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def infer(
        self, request: shared.InferenceRequest | dict[str, Any], *, request_id: str | None = None
    ) -> shared.InferenceResponse:
        """One inference, the whole output at once."""
        response = await self._send("POST", shared.INFER, request_id, json=shared.body(request))
        return shared.InferenceResponse.model_validate(response.json())

    async def stream(
        self, request: shared.InferenceRequest | dict[str, Any], *, request_id: str | None = None
    ) -> AsyncIterator[StreamEvent]:
        """One inference as its events (Resume, Text, Done), resumed when it is cut."""
        opened = await self._send(
            "POST", shared.STREAM, request_id, json=shared.body(request), stream=True
        )
        return self._follow(opened, Cursor(), request_id)

    async def resume(
        self, token: str, last_event_id: int | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Resumes a stream from a resume token, after event ``last_event_id``."""
        payload, extra = shared.resume_request(token, last_event_id)
        opened = await self._send(
            "POST", shared.RESUME, None, json=payload, headers=extra, stream=True
        )
        return self._follow(opened, Cursor(), None)

    async def submit_batch(self, request: shared.BatchRequest | dict[str, Any]) -> shared.Batch:
        response = await self._send("POST", shared.BATCHES, None, json=shared.body(request))
        return shared.Batch.model_validate(response.json())

    async def get_batch(self, batch_id: str) -> shared.Batch:
        response = await self._send("GET", f"{shared.BATCHES}/{batch_id}", None)
        return shared.Batch.model_validate(response.json())

    async def wait_for_batch(self, batch_id: str, *, interval_s: float = 0.5) -> shared.Batch:
        """Polls the batch until it is completed or cancelled."""
        while (batch := await self.get_batch(batch_id)).status.value not in shared.FINISHED:
            await asyncio.sleep(interval_s)
        return batch

    async def batch_results(self, batch_id: str, *, limit: int = 100) -> AsyncIterator[Any]:
        """Every result of a batch in item order, read ``limit`` a page."""
        cursor: str | None = None
        while True:
            params = {"limit": limit} | ({} if cursor is None else {"cursor": cursor})
            response = await self._send(
                "GET", f"{shared.BATCHES}/{batch_id}/results", None, params=params
            )
            page = shared.BatchPage.model_validate(response.json())
            for result in page.data:
                yield result
            if (cursor := page.next_cursor) is None:
                return

    async def export_audit(
        self, *, tenant: str | None = None, since: str | None = None, until: str | None = None
    ) -> list[dict[str, Any]]:
        """The audit export: receipts between their checkpoints, one dict per NDJSON line."""
        params = shared.audit_params(tenant, since, until)
        response = await self._send("GET", shared.AUDIT_EXPORT, None, params=params)
        return shared.ndjson(response.text)

    async def _follow(
        self, response: httpx.Response, cursor: Cursor, request_id: str | None
    ) -> AsyncIterator[StreamEvent]:
        quiet = 0
        while True:
            try:
                async for sse in EventSource(response).aiter_sse():
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
                await response.aclose()
            if cursor.token is None or quiet >= self._retry.max_resumes:
                raise ConnectionError(
                    f"The stream ended after event {cursor.offset} and could not be resumed."
                )
            await asyncio.sleep(self._retry.backoff(quiet))
            quiet += 1
            payload, extra = shared.resume_request(cursor.token, cursor.offset)
            response = await self._send(
                "POST", shared.RESUME, request_id, json=payload, headers=extra, stream=True
            )

    async def _send(
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
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError:
                if attempt >= self._retry.max_retries:
                    raise
                await asyncio.sleep(self._retry.backoff(attempt))
                attempt += 1
                continue
            if response.is_success:
                return response
            await response.aread()
            await response.aclose()
            error = EnisError.from_response(response)
            if not error.retryable or attempt >= self._retry.max_retries:
                raise error
            await asyncio.sleep(
                error.retry_after_s
                if error.retry_after_s is not None
                else self._retry.backoff(attempt)
            )
            attempt += 1
