"""A scripted OpenAI-compatible server on loopback: the model seam for tests that run os1 as
a separate process (the CLI). os1's real HTTP backend talks to it; only the model is fake.

Modes per reply: plain text (streamed in pieces), ``HANG`` (accepts, then never answers),
``ERROR500``. Requests are recorded in ``requests``.

Background work (memory extraction and reflection, which os1 runs whenever the person is
quiet) takes its replies from ``learning``, not ``replies``, so a test scripting a
conversation doesn't have its replies eaten by a learner that happened to run in between.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "\x00HANG"
ERROR500 = "\x00ERROR500"


NOTHING_LEARNED = '{"memories": [], "insights": []}'


def is_background(body: dict[str, Any]) -> bool:
    """A request from os1's memory worker rather than the conversation."""
    first = (body.get("messages") or [{}])[0].get("content") or ""
    return first.startswith("You keep") or "getting to know" in first[:200]


class ScriptedModelServer:
    def __init__(self, replies: list[str] | None = None, default: str = "I'm here with you.",
                 delay: float = 0.01) -> None:
        self.replies = list(replies or [])
        self.learning: list[str] = []
        self.default = default
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                if is_background(body):
                    reply = server.learning.pop(0) if server.learning else NOTHING_LEARNED
                else:
                    reply = server.replies.pop(0) if server.replies else server.default
                if reply == HANG:
                    server._stop.wait(600)
                    return
                if reply == ERROR500:
                    payload = b'{"error": {"message": "boom"}}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for start in range(0, len(reply), 4):
                        chunk = {"choices": [{"index": 0, "delta": {"content": reply[start:start + 4]}}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                        if server.delay:
                            time.sleep(server.delay)
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedModelServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
