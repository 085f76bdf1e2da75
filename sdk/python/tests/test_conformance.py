"""The Python SDK, sync and asyncio, through every conformance scenario
(sdk/conformance/scenarios) against the harness that sdk/conformance/python.test.ts starts: it
passes the control server's URL as ENIS_CONFORMANCE_URL."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from enis import ERROR_CODES, AsyncClient, Client, Done, EnisError, Resume, Text

SCENARIOS = sorted(Path(__file__).parents[2].joinpath("conformance", "scenarios").glob("*.json"))
CONTROL = os.environ.get("ENIS_CONFORMANCE_URL")
pytestmark = pytest.mark.skipif(CONTROL is None, reason="needs the conformance harness")


def control(scenario: dict[str, Any], step: str) -> dict[str, Any]:
    response = httpx.post(f"{CONTROL}/scenarios/{scenario['name']}/{step}", timeout=30)
    response.raise_for_status()
    return response.json()


def tamper(token: str) -> str:
    """The resume token with the first character of its signature changed."""
    payload, mac = token.split(".")
    return f"{payload}.{'B' if mac.startswith('A') else 'A'}{mac[1:]}"


def assert_typed(error: EnisError, want: dict[str, Any]) -> None:
    assert {"code": error.code, "status": error.status, "retryable": error.retryable} == want
    assert error.code in ERROR_CODES
    assert error.request_id


def check_audit(lines: list[dict[str, Any]], request_id: str, expect: dict[str, Any]) -> None:
    receipts = [line["receipt"] for line in lines if line.get("type") == "receipt"]
    receipt = next(r for r in receipts if r.get("request_id") == request_id)
    assert {"outcome": receipt["outcome"], "model": receipt["model"]} == expect["receipt"]
    assert lines[-1]["type"] == "checkpoint" and lines[-1]["final"] is expect["final_checkpoint"]


def batch_rows(results: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": result.custom_id,
            "status": result.status.value,
            "text": result.response.output.content if result.status.value == "succeeded" else None,
        }
        for result in results
    ]


def run_sync(scenario: dict[str, Any], client: Client) -> None:
    request, expect, action = scenario["request"], scenario["expect"], scenario["action"]
    if action == "infer":
        if "error" in expect:
            with pytest.raises(EnisError) as raised:
                client.infer(request)
            return assert_typed(raised.value, expect["error"])
        started = time.monotonic()
        answer = client.infer(request)
        assert (time.monotonic() - started) * 1000 >= expect.get("min_elapsed_ms", 0)
        assert (answer.output.content, answer.finish_reason.value) == (
            expect["text"],
            expect["finish_reason"],
        )
    elif action == "stream":
        chunks, finish = [], None
        for event in client.stream(request):
            if isinstance(event, Text):
                chunks.append(event.text)
                if len(chunks) == scenario.get("cut_after_chunks"):
                    control(scenario, "cut")
            elif isinstance(event, Done):
                finish = event.finish_reason
        assert (chunks, finish) == (expect["chunks"], expect["finish_reason"])
    elif action == "tamper-resume":
        token = next(event.token for event in client.stream(request) if isinstance(event, Resume))
        with pytest.raises(EnisError) as raised:
            client.resume(tamper(token))
        assert_typed(raised.value, expect["error"])
    elif action == "audit-export":
        request_id = str(uuid.uuid4())
        client.infer(request, request_id=request_id)
        check_audit(client.export_audit(), request_id, expect)
    elif action == "cancel-stream":
        chunks = []
        for event in client.stream(request):
            if isinstance(event, Text):
                chunks.append(event.text)
                if len(chunks) == scenario["cancel_after_chunks"]:
                    break  # closing the iterator closes the connection
        assert chunks == expect["chunks"]
    elif action == "batch":
        batch = client.submit_batch(request | {"task_id": f"conformance-py-{uuid.uuid4()}"})
        client.wait_for_batch(batch.id, interval_s=0.1)
        results = list(client.batch_results(batch.id, limit=scenario["page_size"]))
        assert batch_rows(results) == expect["results"]


async def run_async(scenario: dict[str, Any], client: AsyncClient) -> None:
    request, expect, action = scenario["request"], scenario["expect"], scenario["action"]
    if action == "infer":
        if "error" in expect:
            with pytest.raises(EnisError) as raised:
                await client.infer(request)
            return assert_typed(raised.value, expect["error"])
        started = time.monotonic()
        answer = await client.infer(request)
        assert (time.monotonic() - started) * 1000 >= expect.get("min_elapsed_ms", 0)
        assert (answer.output.content, answer.finish_reason.value) == (
            expect["text"],
            expect["finish_reason"],
        )
    elif action == "stream":
        chunks, finish = [], None
        async for event in await client.stream(request):
            if isinstance(event, Text):
                chunks.append(event.text)
                if len(chunks) == scenario.get("cut_after_chunks"):
                    await asyncio.to_thread(control, scenario, "cut")
            elif isinstance(event, Done):
                finish = event.finish_reason
        assert (chunks, finish) == (expect["chunks"], expect["finish_reason"])
    elif action == "tamper-resume":
        token = ""
        async for event in await client.stream(request):
            if isinstance(event, Resume):
                token = event.token
                break
        with pytest.raises(EnisError) as raised:
            await client.resume(tamper(token))
        assert_typed(raised.value, expect["error"])
    elif action == "audit-export":
        request_id = str(uuid.uuid4())
        await client.infer(request, request_id=request_id)
        check_audit(await client.export_audit(), request_id, expect)
    elif action == "cancel-stream":
        chunks: list[str] = []
        enough = asyncio.Event()

        async def read() -> None:
            async for event in await client.stream(request):
                if isinstance(event, Text):
                    chunks.append(event.text)
                    if len(chunks) == scenario["cancel_after_chunks"]:
                        enough.set()

        task = asyncio.create_task(read())
        await enough.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert chunks == expect["chunks"]
    elif action == "batch":
        batch = await client.submit_batch(request | {"task_id": f"conformance-py-{uuid.uuid4()}"})
        await client.wait_for_batch(batch.id, interval_s=0.1)
        results = [
            result async for result in client.batch_results(batch.id, limit=scenario["page_size"])
        ]
        assert batch_rows(results) == expect["results"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_sync_client_passes(path: Path) -> None:
    scenario = json.loads(path.read_text())
    prepared = control(scenario, "prepare")
    with Client(prepared["base_url"], prepared["token"]) as client:
        run_sync(scenario, client)
    assert control(scenario, "check") == {"problems": []}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_async_client_passes(path: Path) -> None:
    scenario = json.loads(path.read_text())
    prepared = control(scenario, "prepare")

    async def main() -> None:
        async with AsyncClient(prepared["base_url"], prepared["token"]) as client:
            await run_async(scenario, client)

    asyncio.run(main())
    assert control(scenario, "check") == {"problems": []}
