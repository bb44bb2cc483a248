"""Benchmark: ``POST /api/v1/verify`` over real HTTP against the same server's ``/healthz``.

Starts the service in this process (``create_app``, the embedded default: SQLite under a
temporary var dir, uvicorn in a thread), issues a few credentials with the service's own
issuing code, then measures requests per second at concurrency ``C`` (default 16, threads
sharing one keep-alive ``httpx.Client`` each) for

* ``verify``: ``POST /api/v1/verify`` with ``{"token": ...}``, round-robin over the tokens
  (signature, key provenance, shape, validity and the status list: the whole path an
  employer's request takes);
* ``healthz``: ``GET /healthz``, the cheapest route of the same server (the ceiling set by
  the server, the event loop and the client).

The load comes from a separate process (this script with ``--load``), so the clients do not
share the server's interpreter lock and the ratio is the server's own. Prints both rates and
verify/healthz (goal: at least 0.5). The verify rate limit is lifted for the run. Usage::

    uv run python bench/bench_verify_http.py [SECONDS] [CONCURRENCY]   # defaults 5 and 16
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live_server import free_port, serve  # noqa: E402

CREDENTIALS = 8


def _rate(call, seconds: float, concurrency: int) -> float:
    """Completed calls per second over ``seconds`` with ``concurrency`` threads."""
    import httpx

    stop = time.perf_counter() + seconds
    counts = [0] * concurrency
    errors: list[str] = []

    def worker(i: int) -> None:
        with httpx.Client(timeout=30) as client:
            n = 0
            while time.perf_counter() < stop:
                problem = call(client, i + n * concurrency)
                if problem:
                    errors.append(problem)
                    return
                n += 1
            counts[i] = n

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"request failed: {errors[0]}")
    return sum(counts) / (time.perf_counter() - started)


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
    """Requests per second of ``route``; adds this (server) process's CPU seconds to
    ``CPU[route]`` and the requests to ``DONE[route]``."""
    import subprocess

    cpu = time.process_time()

    out = subprocess.run(  # noqa: S603 - this script, our own arguments
        [sys.executable, __file__, "--load", base, route, str(seconds), str(concurrency)]
        + [tokens_file],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr or out.stdout)
    rate = float(out.stdout.strip().splitlines()[-1])
    CPU[route] = CPU.get(route, 0.0) + time.process_time() - cpu
    DONE[route] = DONE.get(route, 0) + int(rate * seconds)
    return rate


CPU: dict[str, float] = {}
DONE: dict[str, int] = {}


def main() -> None:
    seconds = float(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_SECONDS", 5))
    concurrency = int(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BENCH_CONCURRENCY", 16))
    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    port = free_port()
    os.environ.update(
        SKILLS_ENV="test",
        SKILLS_VAR_DIR=str(work / "var"),
        SKILLS_MASTER_KEY="bench-master-key-" + "x" * 32,
        SKILLS_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        SKILLS_OUTBOX_RELAY_IN_API="false",
        SKILLS_LOG_LEVEL="WARNING",
        SKILLS_RATE_LIMIT_VERIFY="1000000/minute",
    )
    from sqlmodel import Session

    from service.app import create_app
    from service.core.db import get_engine
    from service.core.migrate import upgrade
    from service.core.settings import get_settings
    from service.issuing.keys import ensure_issuer_key
    from service.issuing.service import issue

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
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

    tokens_file = work / "tokens.txt"
    tokens_file.write_text("\n".join(tokens))
    server, _thread = serve(create_app(settings, start_relay=False), port)
    base = f"http://127.0.0.1:{port}"
    try:
        rates: dict[str, list[float]] = {"verify": [], "healthz": []}
        _measure(base, "verify", 1, 2, str(tokens_file))  # warm: the status list is signed once
        for _round in range(2):  # alternate, so both see the same machine load
            for route in ("healthz", "verify"):
                rates[route].append(
                    _measure(base, route, seconds / 2, concurrency, str(tokens_file))
                )
    finally:
        server.should_exit = True
    v, h = max(rates["verify"]), max(rates["healthz"])
    print(f"concurrency {concurrency}, {seconds:.0f}s per route, {len(tokens)} credentials")
    print(f"POST /api/v1/verify  {v:8.1f} req/s")
    print(f"GET  /healthz        {h:8.1f} req/s")
    print(f"verify / healthz     {v / h:8.2f}  (goal >= 0.50)")
    for route in ("verify", "healthz"):
        ms = 1000 * CPU[route] / max(1, DONE[route])
        print(f"server CPU per {route:8s} {ms:6.2f} ms (all threads of the server process)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        _base, _route, _seconds, _concurrency, _tokens = sys.argv[2:7]
        _load(_base, _route, float(_seconds), int(_concurrency), _tokens)
    else:
        main()
