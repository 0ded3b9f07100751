"""A real webhook receiver for the tests: a threaded http.server on 127.0.0.1 that records every
POST (headers and the exact body bytes) and answers the statuses it is told to, in order.

`verify(request, secret)` checks a signature the way the Standard Webhooks spec describes it, written
out here with hmac and hashlib rather than through the library the sender uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


def spec_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """`v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), key = base64-decoded secret sans `whsec_`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(request: Received, secret: str) -> bool:
    """True when one of the space-separated signatures is the spec's signature under `secret`."""
    expected = spec_signature(secret, request.headers["webhook-id"], request.headers["webhook-timestamp"], request.body)
    return any(hmac.compare_digest(expected, s) for s in request.headers["webhook-signature"].split(" "))


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: deque[int] = deque()
        self.seen_ids: set[str] = set()  # what a receiver dedupes on
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(path=self.path, headers=headers, body=body))
                receiver.seen_ids.add(headers.get("webhook-id", ""))
                status = receiver.answers.popleft() if receiver.answers else 204
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kat"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
