"""Client of the inference-service gateway (docs/sdks.md): sync ``Client``, asyncio
``AsyncClient``, typed models generated from docs/openapi.yaml, typed errors."""

from ._retry import RetryPolicy
from ._shared import Batch, BatchRequest, InferenceRequest, InferenceResponse
from .aio import AsyncClient
from .client import Client
from .error_codes import ERROR_CODES, ErrorCode
from .errors import EnisError
from .events import Done, Resume, StreamEvent, Text

__all__ = [
    "AsyncClient",
    "Batch",
    "BatchRequest",
    "Client",
    "Done",
    "ERROR_CODES",
    "EnisError",
    "ErrorCode",
    "InferenceRequest",
    "InferenceResponse",
    "Resume",
    "RetryPolicy",
    "StreamEvent",
    "Text",
]
