"""What a stream yields, and the reading of its SSE events shared by both clients."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from httpx_sse import ServerSentEvent

from .errors import EnisError


@dataclass(frozen=True)
class Resume:
    """A resume token, to resume the stream from another process."""

    token: str
    offset: int


@dataclass(frozen=True)
class Text:
    text: str
    offset: int


@dataclass(frozen=True)
class Done:
    finish_reason: str
    usage: dict[str, int]
    offset: int


StreamEvent = Resume | Text | Done


class Cursor:
    """The state of one logical stream across its connections: the latest resume token and the
    offset of the last event yielded, so a resumed connection repeats nothing."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.offset = 0
        self.done = False

    def read(self, sse: ServerSentEvent) -> StreamEvent | None:
        """The event to yield for this SSE event, or None (heartbeat, already seen)."""
        data: dict[str, Any] = json.loads(sse.data)
        if sse.event == "resume":
            self.token = data["resume_token"]
            return Resume(self.token, int(data["offset"]))
        if sse.event == "error":
            raise EnisError(data, 200)
        if not sse.id or int(sse.id) <= self.offset:
            return None
        self.offset = int(sse.id)
        if sse.event == "done":
            self.done = True
            return Done(data["finish_reason"], data["usage"], self.offset)
        return Text(data["text"], self.offset) if sse.event == "data" else None
