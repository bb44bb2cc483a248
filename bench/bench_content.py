"""Benchmark: package content served by the app vs a plain static file server, same bytes.

Writes a media file of ``size`` MB (default 20) into a LocalStorage under a package prefix and
opens a launch grant on it, then serves, in this process, over real HTTP (uvicorn, one thread
each):

* ``app``: the service (``create_app``, embedded settings, SQLite), ``/content/<grant>/clip.mp4``
  on the content origin (``Host: localhost:<port>`` while the public origin is
  ``127.0.0.1:<port>``): grant check, storage ``head``, validators, ranged storage read;
* ``static``: Starlette ``StaticFiles`` over the same file on disk (a plain static server that
  also answers ranges).

Measures bytes/s of whole-file GETs and of 1 MiB ``Range`` GETs at random offsets, through one
keep-alive client per server, the two servers alternating round by round; prints the figures
and the app/static ratio. Usage::

    uv run python bench/bench_content.py [SIZE_MB] [ROUNDS]     # or BENCH_SIZE_MB / BENCH_ROUNDS
"""

from __future__ import annotations

import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live_server import free_port, serve  # noqa: E402

MB = 1024 * 1024
RANGE = 1 * MB


def _full(client, url: str, headers: dict, size: int, count: int) -> float:
    """Seconds for ``count`` whole-file GETs."""
    t0 = time.perf_counter()
    for _ in range(count):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and len(r.content) == size, r.status_code
    return time.perf_counter() - t0


def _ranges(client, url: str, headers: dict, offsets: list[int]) -> float:
    """Seconds for one 1 MiB range GET at each offset."""
    t0 = time.perf_counter()
    for start in offsets:
        r = client.get(url, headers={**headers, "Range": f"bytes={start}-{start + RANGE - 1}"})
        assert r.status_code == 206 and len(r.content) == RANGE, r.status_code
    return time.perf_counter() - t0


def main() -> None:
    size_mb = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_SIZE_MB", 20))
    rounds = int(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BENCH_ROUNDS", 5))
    work = Path(tempfile.mkdtemp(prefix="bench-content-"))
    app_port, static_port = free_port(), free_port()
    os.environ.update(
        SKILLS_ENV="test",
        SKILLS_VAR_DIR=str(work / "var"),
        SKILLS_MASTER_KEY="bench-master-key-" + "x" * 32,
        SKILLS_PUBLIC_BASE_URL=f"http://127.0.0.1:{app_port}",
        SKILLS_CONTENT_BASE_URL="",
        SKILLS_OUTBOX_RELAY_IN_API="false",
        SKILLS_LOG_LEVEL="WARNING",
    )
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from service.app import create_app
    from service.core.migrate import upgrade
    from service.core.settings import get_settings
    from service.core.storage import get_storage
    from service.packages.launch import GRANT_KEY_LABEL, make_grant

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    size = size_mb * MB
    data = random.Random(7).randbytes(size)
    prefix = "packages/bench/"
    get_storage().put(prefix + "clip.mp4", io.BytesIO(data))
    grant = make_grant(settings.derived_key(GRANT_KEY_LABEL), prefix, 3600)
    static_dir = settings.local_storage_root() / "packages" / "bench"
    content = settings.resolved_content_base_url()  # http://localhost:<port>

    targets = {
        "app": (
            f"http://127.0.0.1:{app_port}/content/{grant}/clip.mp4",
            {"Host": content.split("://", 1)[1]},
        ),
        "static": (f"http://127.0.0.1:{static_port}/static/clip.mp4", {}),
    }
    static_app = Starlette(routes=[Mount("/static", StaticFiles(directory=static_dir))])
    servers = [serve(create_app(settings, start_relay=False), app_port)]
    servers.append(serve(static_app, static_port))
    rng = random.Random(11)
    per_round = 40
    timings: dict[str, dict[str, list[float]]] = {n: {"full": [], "range": []} for n in targets}
    try:
        clients = {name: httpx.Client(timeout=60) for name in targets}
        for name, (url, headers) in targets.items():  # warm-up, and the two serve the same bytes
            r = clients[name].get(url, headers={**headers, "Range": "bytes=-16"})
            assert r.status_code == 206 and r.content == data[-16:], (name, r.status_code)
        for _ in range(rounds):
            offsets = [rng.randrange(0, size - RANGE) for _ in range(per_round)]
            for name, (url, headers) in targets.items():
                timings[name]["full"].append(_full(clients[name], url, headers, size, 3))
                timings[name]["range"].append(_ranges(clients[name], url, headers, offsets))
        for c in clients.values():
            c.close()
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    print(f"file {size_mb} MiB, {rounds} rounds: 3 whole GETs and {per_round} x 1 MiB ranges each")
    rates: dict[str, dict[str, float]] = {}
    for name in targets:
        full_rate = 3 * size / statistics.median(timings[name]["full"])
        range_rate = per_round * RANGE / statistics.median(timings[name]["range"])
        ranges_per_s = per_round / statistics.median(timings[name]["range"])
        rates[name] = {"full": full_rate, "range": range_rate}
        print(
            f"{name:>7}: whole GET {full_rate / MB:8.1f} MiB/s   "
            f"1 MiB ranges {range_rate / MB:8.1f} MiB/s ({ranges_per_s:6.1f} req/s)"
        )
    print(
        f"  ratio app/static: whole GET {rates['app']['full'] / rates['static']['full']:.2f}   "
        f"ranges {rates['app']['range'] / rates['static']['range']:.2f}"
    )


if __name__ == "__main__":
    main()
