"""Replays of attacks on the HTTP edge against a real server (``live_server``), with threads.

Raw sockets where the attacker would use them: a client that declares (or just keeps sending)
a huge body and watches for the server's answer while it sends, as ``curl`` does. The server
runs in this process, so its memory is this process's RSS.
"""

from __future__ import annotations

import select
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx

MIB = 1024 * 1024
CHUNK = 64 * 1024


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def push_body(
    base: str, method: str, path: str, headers: dict[str, str], body_size: int, *, first=b""
) -> tuple[int, int]:
    """Send a request whose body is ``first`` then filler up to ``body_size`` bytes, stopping
    as soon as the server answers. (status, body bytes sent before the answer)."""
    parts = urlsplit(base)
    chunked = "content-length" not in {k.lower() for k in headers}
    head = f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(head.encode())
        filler = b"a" * CHUNK
        pending = [first] if first else []
        for _ in range(body_size // CHUNK + 1):  # bounded: the whole declared body at most
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            data = pending.pop() if pending else filler
            frame = f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data
            try:
                sock.sendall(frame)
            except OSError:  # the server closed the connection after answering
                break
            sent += len(data)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        answer = b""
        while b"\r\n" not in answer:
            piece = sock.recv(4096)
            if not piece:
                break
            answer += piece
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]), sent


def test_concurrent_anonymous_huge_json_posts_are_refused_without_memory_growth(live_server):
    declared = {"Content-Type": "application/json", "Content-Length": str(50 * MIB)}
    chunked = {"Content-Type": "application/json"}
    before = rss_bytes()
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [
            pool.submit(
                push_body,
                live_server,
                "POST",
                "/api/v1/organizations",
                declared if i % 2 else chunked,
                50 * MIB,
                first=b'{"name": "',
            )
            for i in range(8)
        ]
        results = [f.result(timeout=120) for f in futures]
    grown = rss_bytes() - before
    assert [status for status, _ in results] == [413] * 8
    # Refused early: far less than the 50 MiB each attacker meant to send went in.
    assert max(sent for _, sent in results) < 8 * MIB
    assert grown < 64 * MIB, f"the server grew by {grown // MIB} MiB"


def test_anonymous_unsigned_large_upload_writes_nothing_to_disk(live_server, settings, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.spool_dir = spool
    objects = settings.local_storage_root()
    objects.mkdir(parents=True, exist_ok=True)
    before_objects = sorted(p for p in objects.rglob("*"))
    seen: set[str] = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen.update(p.name for p in spool.iterdir())
            stop.wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    boundary = "attack" + uuid.uuid4().hex
    file_part = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    try:
        status, sent = push_body(
            live_server,
            "POST",
            "/objects-upload/packages/victim/upload.zip",
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(300 * MIB),
            },
            300 * MIB,
            first=file_part,
        )
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert status == 403
    assert sent < 8 * MIB
    assert seen == set() and list(spool.iterdir()) == []
    assert sorted(p for p in objects.rglob("*")) == before_objects


def test_verify_burst_beyond_the_limit_gets_429_with_retry_after(live_server, settings):
    from service.core.settings import Settings

    default = Settings.model_fields["rate_limit_verify"].default
    settings.rate_limit_verify = default  # the test session raises it; this is the shipped one
    limit = int(default.split("/")[0])

    def verify(_):
        with httpx.Client(base_url=live_server, timeout=30) as c:
            return c.post("/api/v1/verify", json={"credential_id": f"urn:uuid:{uuid.uuid4()}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(verify, range(limit + 12)))
    refused = [r for r in answers if r.status_code == 429]
    assert len(refused) == 12
    assert {r.status_code for r in answers if r.status_code != 429} == {404}
    for r in refused:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "too-many-requests"
        assert 1 <= int(r.headers["retry-after"]) <= 60
