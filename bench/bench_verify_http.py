"""Benchmark: ``POST /api/v1/verify`` over real HTTP against the same server's ``/healthz``.

Starts the service in the bench's process (``create_app``, the embedded default: SQLite under a
temporary var dir, uvicorn in a thread), issues a few credentials with the service's own
issuing code, then measures requests per second at concurrency ``C`` (default 16, threads
sharing one keep-alive ``httpx.Client`` each) for

* ``verify``: ``POST /api/v1/verify`` with ``{"token": ...}``, round-robin over the tokens
  (signature, key provenance, shape, validity and the status list: the whole path an
  employer's request takes);
* ``healthz``: ``GET /healthz``, the cheapest route of the same server (the ceiling set by
  the server, the event loop and the client).

The load comes from a separate process (this script with ``--load``), so the clients do not
share the server's interpreter lock and the ratio is the server's own (goal: verify at least
0.5 of healthz). Every answer is checked (200, and "valid" for verify). The verify rate limit is
lifted for the run. Usage::

    uv run python -m bench --only verify_http [--rounds N] [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Figure, Scale, check, main_for  # noqa: E402
from bench.live_server import embedded_settings, free_port, serve  # noqa: E402

CREDENTIALS = 8


def _rate(call, seconds: float, concurrency: int) -> float:
    """Completed calls per second over ``seconds`` with ``concurrency`` threads. The clients
    (each builds an SSL context, slow on a busy machine) are made before the clock starts."""
    import httpx

    clients = [httpx.Client(timeout=30) for _ in range(concurrency)]
    counts = [0] * concurrency
    errors: list[str] = []
    ready = threading.Barrier(concurrency + 1)
    stop = 0.0

    def worker(i: int) -> None:
        client, n = clients[i], 0
        ready.wait()
        while time.perf_counter() < stop:
            problem = call(client, i + n * concurrency)
            if problem:
                errors.append(problem)
                return
            n += 1
        counts[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    stop = started + seconds
    ready.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    if errors:
        raise SystemExit(f"request failed: {errors[0]}")  # the round reports it
    return sum(counts) / elapsed


def _load(base: str, route: str, seconds: float, concurrency: int, tokens_file: str) -> None:
    """The load generator (its own process): prints the rate of ``route``."""
    tokens = Path(tokens_file).read_text().split()

    def verify(client, i: int) -> str | None:
        r = client.post(f"{base}/api/v1/verify", json={"token": tokens[i % len(tokens)]})
        if r.status_code != 200 or r.json()["result"] != "valid":
            return f"verify {r.status_code} {r.text[:200]}"
        return None

    def healthz(client, i: int) -> str | None:
        r = client.get(f"{base}/healthz")
        return None if r.status_code == 200 else f"healthz {r.status_code}"

    call = verify if route == "verify" else healthz
    print(_rate(call, seconds, concurrency))


def _measure(base: str, route: str, seconds: float, concurrency: int, tokens_file: str) -> float:
    """Requests per second of ``route``, from a load process of its own."""
    import subprocess

    out = subprocess.run(  # noqa: S603 - this script, our own arguments
        [sys.executable, __file__, "--load", base, route, str(seconds), str(concurrency)]
        + [tokens_file],
        capture_output=True,
        text=True,
        check=False,
    )
    check(out.returncode == 0, f"load on {route} failed: {(out.stderr or out.stdout)[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


class VerifyHttpBench:
    name = "verify_http"

    def __init__(self, scale: Scale) -> None:
        self.seconds = 2.0 if scale.quick else 5.0
        self.concurrency = 16
        self.work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
        port = free_port()
        settings = embedded_settings(
            self.work,
            f"http://127.0.0.1:{port}",
            SKILLS_RATE_LIMIT_VERIFY="1000000/minute",
        )
        from sqlmodel import Session

        from service.app import create_app
        from service.core.db import get_engine
        from service.issuing.keys import ensure_issuer_key
        from service.issuing.service import issue

        tokens: list[str] = []
        with Session(get_engine(), expire_on_commit=False) as session:
            ensure_issuer_key(session, settings)
            session.commit()
            for n in range(CREDENTIALS):
                outcome = issue(
                    session,
                    settings,
                    learner_uuid=uuid.uuid4(),
                    id_number=None,
                    occupation_code="6-31-01-03",
                    level=4,
                    hours=72,
                    score=88,
                    enrollment_ref=f"rpl:bench-{n}",
                )
                session.commit()
                tokens.append(outcome.credential.jwt)
        self.tokens_file = self.work / "tokens.txt"
        self.tokens_file.write_text("\n".join(tokens))
        self.server, _thread = serve(create_app(settings, start_relay=False), port)
        self.base = f"http://127.0.0.1:{port}"
        _measure(self.base, "verify", 1, 2, str(self.tokens_file))  # the status list, signed once

    def round(self) -> list[Figure]:
        args = (self.seconds, self.concurrency, str(self.tokens_file))
        healthz = _measure(self.base, "healthz", *args)
        verify = _measure(self.base, "verify", *args)
        c = self.concurrency
        return [
            Figure(
                "healthz", f"GET /healthz, concurrency {c} (the server's ceiling)", healthz, "/s"
            ),
            Figure(
                "verify",
                f"POST /api/v1/verify, concurrency {c}",
                verify,
                "/s",
                baseline="healthz",
                goal=0.5,
            ),
        ]

    def close(self) -> None:
        self.server.should_exit = True


def open_bench(scale: Scale) -> VerifyHttpBench:
    return VerifyHttpBench(scale)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        _base, _route, _seconds, _concurrency, _tokens = sys.argv[2:7]
        _load(_base, _route, float(_seconds), int(_concurrency), _tokens)
    else:
        main_for("verify_http", open_bench)
