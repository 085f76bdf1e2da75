"""What both clients share: paths, headers, bodies, the typed models they answer."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from pydantic import BaseModel

from . import models

InferenceRequest = models.ApiV1InferencePostRequest
InferenceResponse = models.ApiV1InferencePostResponse
BatchRequest = models.ApiV1BatchesPostRequest
Batch = models.ApiV1BatchesBatchIdGetResponse
BatchPage = models.ApiV1BatchesBatchIdResultsGetResponse

INFER = "/api/v1/inference"
STREAM = "/api/v1/inference:stream"
RESUME = "/api/v1/inference:resume"
BATCHES = "/api/v1/batches"
AUDIT_EXPORT = "/api/v1/audit/export"
FINISHED = {"completed", "cancelled"}


def body(request: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """A request as JSON: a model without its unset fields, or the dict as given."""
    if isinstance(request, BaseModel):
        return request.model_dump(mode="json", exclude_none=True)
    return request


def headers(token: str, request_id: str | None) -> dict[str, str]:
    """Every attempt of one call sends the same x-request-id."""
    return {"authorization": f"Bearer {token}", "x-request-id": request_id or str(uuid4())}


def resume_request(token: str, last_event_id: int | None) -> tuple[dict[str, str], dict[str, str]]:
    extra = {} if last_event_id is None else {"last-event-id": str(last_event_id)}
    return {"resume_token": token}, extra


def audit_params(tenant: str | None, since: str | None, until: str | None) -> dict[str, str]:
    pairs = {"tenant": tenant, "from": since, "to": until}
    return {name: value for name, value in pairs.items() if value is not None}


def ndjson(text: str) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in text.splitlines() if line.strip()]
