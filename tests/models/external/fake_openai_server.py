"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests (stdlib http.server, threads).

Replies are produced by a function of the request body; per-prompt failure scripts return
HTTP errors first. It records every request and the highest number of requests in flight.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def last_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if p["type"] == "text")


class FakeOpenAI:
    def __init__(self, reply: Callable[[dict[str, Any]], str], delay_s: float = 0.0) -> None:
        self.reply, self.delay_s = reply, delay_s
        self.requests: list[dict[str, Any]] = []
        self.failures: dict[str, list[int]] = {}  # prompt text -> statuses to return first
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(body)
            script = self.failures.get(last_text(body))
            status = script.pop(0) if script else 200
        if status != 200:
            return status, {"error": {"message": "scripted failure"}}
        choice: dict[str, Any] = {"message": {"role": "assistant", "content": self.reply(body)}}
        if body.get("logprobs"):
            k = body["top_logprobs"]
            top = [{"token": str(i), "logprob": -float(i)} for i in range(k)]
            choice["logprobs"] = {"content": [{"token": "0", "logprob": 0.0, "top_logprobs": top}]}
        return 200, {"choices": [choice]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    time.sleep(fake.delay_s)
                    length = int(self.headers["Content-Length"])
                    body = json.loads(self.rfile.read(length))
                    status, payload = fake._respond(body)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
