"""Benchmark: package content served by the app vs a plain static file server, same bytes.

Writes a media file of ``size`` MB (default 20) into a LocalStorage under a package prefix and
opens a launch grant on it, then serves, in this process, over real HTTP (uvicorn, one thread
each):

* ``app``: the service (``create_app``, embedded settings, SQLite), ``/content/<grant>/clip.mp4``
  on the content origin (``Host: localhost:<port>`` while the public origin is
  ``127.0.0.1:<port>``): grant check, storage ``head``, validators, ranged storage read;
* ``static``: Starlette ``StaticFiles`` over the same file on disk (a plain static server that
  also answers ranges).

Each round measures, for both servers, whole-file GETs per second (3 of them) and 1 MiB
``Range`` GETs per second (40 at random offsets, the same offsets for both), through one
keep-alive client per server; the static server is the baseline. The file is 20 MiB (quick:
4 MiB; ``BENCH_CONTENT_MB`` overrides).

    uv run python -m bench --only content [--quick]   (or: uv run python bench/bench_content.py)
"""

from __future__ import annotations

import io
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Figure, Scale, check, main_for, rate  # noqa: E402
from bench.live_server import embedded_settings, free_port, serve  # noqa: E402

MB = 1024 * 1024
RANGE = 1 * MB


def _full(client, url: str, headers: dict, size: int, count: int) -> float:
    """Seconds for ``count`` whole-file GETs."""
    t0 = time.perf_counter()
    for _ in range(count):
        r = client.get(url, headers=headers)
        check(r.status_code == 200 and len(r.content) == size, f"whole GET: {r.status_code}")
    return time.perf_counter() - t0


def _ranges(client, url: str, headers: dict, offsets: list[int]) -> float:
    """Seconds for one 1 MiB range GET at each offset."""
    t0 = time.perf_counter()
    for start in offsets:
        r = client.get(url, headers={**headers, "Range": f"bytes={start}-{start + RANGE - 1}"})
        check(r.status_code == 206 and len(r.content) == RANGE, f"range GET: {r.status_code}")
    return time.perf_counter() - t0


class ContentBench:
    name = "content"

    def __init__(self, scale: Scale) -> None:
        size_mb = int(scale.env.get("BENCH_CONTENT_MB") or scale.pick(20, 4))
        self.work = Path(tempfile.mkdtemp(prefix="bench-content-"))
        app_port, static_port = free_port(), free_port()
        settings = embedded_settings(
            self.work, f"http://127.0.0.1:{app_port}", SKILLS_CONTENT_BASE_URL=""
        )
        import httpx
        from starlette.applications import Starlette
        from starlette.routing import Mount
        from starlette.staticfiles import StaticFiles

        from service.app import create_app
        from service.core.storage import get_storage
        from service.packages.launch import GRANT_KEY_LABEL, make_grant

        self.size = size_mb * MB
        self.data = random.Random(7).randbytes(self.size)
        prefix = "packages/bench/"
        get_storage().put(prefix + "clip.mp4", io.BytesIO(self.data))
        grant = make_grant(settings.derived_key(GRANT_KEY_LABEL), prefix, 3600)
        static_dir = settings.local_storage_root() / "packages" / "bench"
        content = settings.resolved_content_base_url()  # http://localhost:<port>
        self.targets = {
            "app": (
                f"http://127.0.0.1:{app_port}/content/{grant}/clip.mp4",
                {"Host": content.split("://", 1)[1]},
            ),
            "static": (f"http://127.0.0.1:{static_port}/static/clip.mp4", {}),
        }
        static_app = Starlette(routes=[Mount("/static", StaticFiles(directory=static_dir))])
        self.servers = [serve(create_app(settings, start_relay=False), app_port)]
        self.servers.append(serve(static_app, static_port))
        self.clients = {name: httpx.Client(timeout=60) for name in self.targets}
        for name, (url, headers) in self.targets.items():  # warm-up; both serve the same bytes
            r = self.clients[name].get(url, headers={**headers, "Range": "bytes=-16"})
            check(r.status_code == 206 and r.content == self.data[-16:], f"{name}: {r.status_code}")
        self.rng = random.Random(11)
        self.whole, self.ranges = 3, 40

    def round(self) -> list[Figure]:
        offsets = [self.rng.randrange(0, self.size - RANGE) for _ in range(self.ranges)]
        seconds: dict[str, tuple[float, float]] = {}
        for name, (url, headers) in self.targets.items():
            client = self.clients[name]
            whole = _full(client, url, headers, self.size, self.whole)
            seconds[name] = (whole, _ranges(client, url, headers, offsets))
        mib = self.size // MB
        figures = []
        for name, label in (("static", "static file server"), ("app", "service /content")):
            base = None if name == "static" else "static"
            figures += [
                Figure(f"{name}_whole", f"{label}: whole {mib} MiB GETs",
                       rate(self.whole, seconds[name][0]), "/s", "higher",
                       None if base is None else "static_whole"),
                Figure(f"{name}_range", f"{label}: 1 MiB range GETs",
                       rate(self.ranges, seconds[name][1]), "/s", "higher",
                       None if base is None else "static_range"),
            ]  # fmt: skip
        return figures

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        for server, thread in self.servers:
            server.should_exit = True
            thread.join(timeout=10)
        shutil.rmtree(self.work, ignore_errors=True)


def open_bench(scale: Scale) -> ContentBench:
    return ContentBench(scale)


if __name__ == "__main__":
    main_for("content", open_bench)
