"""A real webhook receiver on 127.0.0.1 that verifies every request with the library's own
verifier (``standardwebhooks.Webhook.verify``), and helpers to subscribe through the API."""

from __future__ import annotations

import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    body: str
    document: dict | None  # the verified payload; None when the signature did not verify
    headers: dict


@dataclass
class Receiver:
    url: str
    secret: str | None = None
    answers: list = field(default_factory=list)  # status codes to give, in order; then 200
    hang_first: bool = False  # the first request waits (until ``release``) before answering
    reply: bytes | None = None  # the answer's body (else a small JSON document)
    gzipped: bool = False  # answer gzip-encoded whatever the request accepts
    drip: float | None = None  # send the answer's body a byte at a time, this far apart (8 s)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.received]

    def verified(self) -> list[dict]:
        return [r.document for r in self.received if r.document is not None]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            headers = {k: v for k, v in self.headers.items()}
            try:
                document = Webhook(receiver.secret).verify(raw, headers)
            except WebhookVerificationError:
                document = None
            first = not receiver.received
            receiver.received.append(
                Received(headers.get("webhook-id", ""), raw, document, headers)
            )
            receiver.arrived.set()
            if first and receiver.hang_first:
                receiver.release.wait(60)
            status = receiver.answers.pop(0) if receiver.answers else 200
            body = receiver.reply or json.dumps({"ok": status < 300}).encode()
            if receiver.gzipped:
                body = gzip.compress(body)
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                if receiver.gzipped:
                    self.send_header("content-encoding", "gzip")
                if receiver.drip is not None:
                    self.send_header("content-length", "100000")
                    self.end_headers()
                    until = time.monotonic() + 8
                    while time.monotonic() < until:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(receiver.drip)
                    return
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender is gone (killed, or it gave up)

    return Handler


@pytest.fixture
def receivers(settings):
    """``make()`` starts a receiver; plain http to 127.0.0.1 is allowed (test settings) and
    retries come quickly."""
    settings.trusted_http_hosts = ["127.0.0.1"]
    settings.webhook_retry_schedule = [0.01, 0.01, 0.01]
    settings.webhook_timeout_seconds = 5.0
    servers: list[ThreadingHTTPServer] = []

    def make(**kw) -> Receiver:
        receiver = Receiver(url="", **kw)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        server.daemon_threads = True
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return receiver

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def subscribe(client):
    def do(receiver: Receiver, headers: dict, types: list[str]) -> dict:
        r = client.post(
            "/api/v1/webhooks/endpoints",
            json={"url": receiver.url, "event_types": types},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        receiver.secret = r.json()["secret"]
        return r.json()

    return do
