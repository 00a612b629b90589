"""A real OpenAI-compatible chat server on 127.0.0.1 (stdlib, threads) with scripted logprobs.

`score(text) -> {label: prob}` gives the judge's score distribution for a request's text; the
reply's first token is the most likely label and `top_logprobs` lists every label plus a decoy
token. `reply(text) -> str` overrides the whole reply (for CoT). Every request is recorded.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def request_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if p["type"] == "text")


class JudgeServer:
    def __init__(
        self,
        score: Callable[[str], dict[str, float]] | None = None,
        reply: Callable[[str], str] | None = None,
    ) -> None:
        self.score, self.reply = score, reply
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def spec(self, model: str = "judge-model") -> str:
        return f"openai:http://127.0.0.1:{self.server.server_address[1]}/v1:{model}"

    def __enter__(self) -> JudgeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
        text = request_text(body)
        if self.reply is not None:
            return {"choices": [{"message": {"role": "assistant", "content": self.reply(text)}}]}
        probs = self.score(text)
        best = max(probs, key=probs.get)
        top = [{"token": k, "logprob": math.log(v)} for k, v in probs.items() if v > 0]
        top.append({"token": "The", "logprob": math.log(1e-4)})
        logprobs = {
            "content": [{"token": best, "logprob": math.log(probs[best]), "top_logprobs": top}]
        }
        message = {"role": "assistant", "content": best}
        return {"choices": [{"message": message, "logprobs": logprobs}]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                data = json.dumps(judge.answer(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
