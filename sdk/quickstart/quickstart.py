"""The Python quickstart: stream an answer from `make run` (ENIS_URL, TOKEN as it prints it)."""

import os

from enis import Client, Text

with Client(os.environ.get("ENIS_URL", "http://127.0.0.1:8080"), os.environ["TOKEN"]) as client:
    request = {
        "model": "chat",
        "messages": [{"role": "user", "content": "Say hello"}],
        "parameters": {"max_tokens": 16},
    }
    for event in client.stream(request):
        if isinstance(event, Text):
            print(event.text, end="", flush=True)
print()
