"""The clients' retry and resume rules where the conformance scenarios cannot reach them: an
httpx MockTransport stands in for the network."""

from __future__ import annotations

import asyncio
import json
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from enis import AsyncClient, Client, EnisError, RetryPolicy, Text

FAST = RetryPolicy(base_delay_s=0.001, max_delay_s=0.002, max_resumes=2)
REQUEST = {"model": "chat", "messages": [{"role": "user", "content": "x"}]}
ANSWER = {
    "id": "r",
    "model": "chat",
    "output": {"role": "assistant", "content": "hi"},
    "finish_reason": "stop",
    "usage": {"input_tokens": 1, "output_tokens": 1, "cached_tokens": 0},
}


def scripted(*steps):
    """A transport answering each request with the next step; the requests it saw."""
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return httpx.MockTransport(handle), seen


def sse(*frames: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, text="".join(frames))


def client(transport: httpx.MockTransport, retry: RetryPolicy = FAST) -> Client:
    return Client(
        "http://gw", "t", retry=retry, http=httpx.Client(base_url="http://gw", transport=transport)
    )


def test_a_transport_failure_is_retried_with_the_same_request_id() -> None:
    transport, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, json=ANSWER))
    assert client(transport).infer(REQUEST).output.content == "hi"
    assert [r.headers["x-request-id"] for r in seen] == [seen[0].headers["x-request-id"]] * 2


def test_a_bodyless_5xx_is_a_retryable_upstream_unavailable() -> None:
    bad = httpx.Response(502, text="<html>bad gateway</html>")
    transport, seen = scripted(bad, bad)
    with pytest.raises(EnisError) as raised:
        client(transport, RetryPolicy(max_retries=1, base_delay_s=0.001)).infer(REQUEST)
    assert (raised.value.code, raised.value.status, raised.value.retryable) == (
        "UPSTREAM_UNAVAILABLE",
        502,
        True,
    )
    assert len(seen) == 2


def test_a_retry_after_http_date_is_read_as_the_seconds_left() -> None:
    at = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    body = {"error": {"code": "RATE_LIMITED", "message": "slow", "retryable": True}}
    transport, _ = scripted(httpx.Response(429, json=body, headers={"retry-after": at}))
    with pytest.raises(EnisError) as raised:
        client(transport, RetryPolicy(max_retries=0)).infer(REQUEST)
    assert 25 < (raised.value.retry_after_s or 0) <= 30


def test_a_stream_is_given_up_after_max_resumes_without_progress() -> None:
    first = sse(
        'event: resume\ndata: {"resume_token":"p.m","offset":0}\n\n',
        'id: 1\nevent: data\ndata: {"text":"a"}\n\n',
    )
    again = lambda: sse('event: resume\ndata: {"resume_token":"p.m","offset":1}\n\n')  # noqa: E731
    transport, seen = scripted(first, again(), again())
    texts = []
    with pytest.raises(ConnectionError, match="after event 1"):
        for event in client(transport).stream(REQUEST):
            if isinstance(event, Text):
                texts.append(event.text)
    assert texts == ["a"]
    assert [r.headers.get("last-event-id") for r in seen[1:]] == ["1", "1"]
    assert all(json.loads(r.content) == {"resume_token": "p.m"} for r in seen[1:])


def test_a_mid_stream_error_event_is_raised_typed_and_not_resumed() -> None:
    failing = sse(
        'event: resume\ndata: {"resume_token":"p.m","offset":0}\n\n',
        'id: 1\nevent: error\ndata: {"code":"UPSTREAM_UNAVAILABLE","message":"gone",'
        '"retryable":true,"details":{"partial":true}}\n\n',
    )

    async def read() -> None:
        transport, seen = scripted(failing)
        http = httpx.AsyncClient(base_url="http://gw", transport=transport)
        async with AsyncClient("http://gw", "t", retry=FAST, http=http) as aclient:
            with pytest.raises(EnisError) as raised:
                async for _ in await aclient.stream(REQUEST):
                    pass
        assert raised.value.details == {"partial": True}
        assert len(seen) == 1

    asyncio.run(read())
