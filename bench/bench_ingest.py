"""Ingest of a large package, in process and through the API, against ``zipfile.extractall``.

One archive is built once (``BENCH_INGEST_MB`` MiB, default 512, quick 24; ``BENCH_INGEST_FILES``
entries, default 5,000, quick 300; each file half random, half text; deflate level 1; a
native manifest). Each round then measures, every one in its own fresh process:

* ``extractall`` (the baseline): a clean ``python -I`` that imports nothing but ``zipfile`` and
  extracts the archive to local disk, timed inside the process after start-up;
* ``ingest``: :func:`content.ingest.ingest_archive` into a LocalStorage on the same disk
  (SHA-256, metadata checks, manifest parse, inflate with every limit, the version staged and
  renamed into place), timed inside the process after its imports; and its peak RSS;
* ``api``: the full path as users run it: ``skills serve`` (embedded SQLite, local storage,
  its own embedded worker) started once; each round ``POST /api/v1/packages/{id}/versions``
  of the archive over HTTP, then polling the version until ``ready`` (upload spool and hash,
  outbox relay, Celery worker, ingest); and the worker's peak RSS over that ingest.

Each round gives the archive a new ZIP comment (new SHA-256, same content), so every round is a
first ingest of its bytes rather than a recognised duplicate.

    uv run python -m bench --only ingest [--quick]     (or: uv run python bench/bench_ingest.py)
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Scale, check, main_for  # noqa: E402
from bench.live_server import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
PASSWORD = "bench-password-1"
RSS_LIMIT_MB = 200.0

#: the baseline's whole program: nothing imported but the standard library's zipfile. Peak RSS
#: is VmHWM of this process's own memory (ru_maxrss would carry the parent's from before exec).
EXTRACTALL = """
import json, sys, time, zipfile
start = time.perf_counter()
with zipfile.ZipFile(sys.argv[1]) as zf:
    zf.extractall(sys.argv[2])
    inflated = sum(i.file_size for i in zf.infolist())
elapsed = time.perf_counter() - start
with open("/proc/self/status") as status:
    rss = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
print(json.dumps({"elapsed": elapsed, "inflated": inflated, "rss_mb": rss}))
"""


def build_archive(path: Path, size_mb: int, files: int) -> None:
    rng = random.Random(42)
    pool = rng.randbytes(8 * MB)
    text = (b"Ningbo lifelong skills: one person, one skill. " * 4096)[: 4 * MB]
    per_file = max(2, size_mb * MB // files)
    manifest = {
        "format": "skills-native/1",
        "title": "Benchmark package",
        "launch": "index.html",
        "hours": 10,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("skills-package.json", json.dumps(manifest))
        zf.writestr("index.html", b"<!doctype html><title>bench</title>")
        for i in range(files):
            half = per_file // 2
            a = rng.randrange(0, len(pool) - half)
            b = rng.randrange(0, len(text) - (per_file - half))
            data = pool[a : a + half] + text[b : b + per_file - half]
            zf.writestr(f"content/{i // 100:03d}/{i:05d}.bin", data)


def ingest_child(archive: str, out: str) -> None:
    """The in-process figure: imports first, then only ``ingest_archive`` is timed."""
    from content.ingest import ingest_archive
    from content.storage import LocalStorage

    storage = LocalStorage(Path(out), b"bench-signing-key", "http://localhost")
    start = time.perf_counter()
    with open(archive, "rb") as fh:
        result = ingest_archive(fh, storage)
    elapsed = time.perf_counter() - start
    if not result.accepted:
        raise SystemExit(f"rejected: {result.report.errors[:3]}")
    rss = _peak_rss_mb(os.getpid())
    print(json.dumps({"elapsed": elapsed, "inflated": result.stored_bytes, "rss_mb": rss}))


def _run_json(args: list[str]) -> dict:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    check(done.returncode == 0, f"{args[1:3]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class IngestBench:
    name = "ingest"

    def __init__(self, scale: Scale) -> None:
        size_mb = int(scale.env.get("BENCH_INGEST_MB") or scale.pick(512, 24))
        files = int(scale.env.get("BENCH_INGEST_FILES") or scale.pick(5_000, 300))
        self.folder = Path(tempfile.mkdtemp(prefix="skills-bench-ingest-"))
        self.archive = self.folder / "package.zip"
        build_archive(self.archive, size_mb, files)
        with zipfile.ZipFile(self.archive) as zf:
            self.inflated = sum(i.file_size for i in zf.infolist())
            self.file_count = sum(1 for i in zf.infolist() if not i.is_dir())
        self.round_number = 0
        self.server: subprocess.Popen | None = None
        self._start_server()

    # --- the live service -------------------------------------------------------------------
    def _start_server(self) -> None:
        port = free_port()
        self.api = f"http://127.0.0.1:{port}"
        self.objects = self.folder / "var" / "objects"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SKILLS_", "PYTEST"))
        } | {
            "SKILLS_VAR_DIR": str(self.folder / "var"),
            "SKILLS_PUBLIC_BASE_URL": self.api,
            "SKILLS_LOG_LEVEL": "WARNING",
        }
        skills = [sys.executable, "-m", "service.cli"]
        subprocess.run(  # noqa: S603 - migrates the embedded database, as serve would
            [*skills, "migrate"], cwd=ROOT, env=self.env, check=True, capture_output=True
        )
        subprocess.run(  # noqa: S603
            [*skills, "users", "create", "--email", "admin@bench.test", "--role", "admin"]
            + ["--password", PASSWORD],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        self.server_log = (self.folder / "serve.log").open("wb")
        self.server = subprocess.Popen(  # noqa: S603
            [*skills, "serve", "--port", str(port)],
            cwd=ROOT,
            env=self.env,
            stdout=self.server_log,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(base_url=self.api, timeout=600)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            check(self.server.poll() is None, f"skills serve exited: {self._server_said()}")
            check(time.monotonic() < deadline, "skills serve never answered /healthz")
            time.sleep(0.1)
        token = self.client.post(
            "/api/v1/auth/token", data={"username": "admin@bench.test", "password": PASSWORD}
        )
        check(token.status_code == 200, f"sign-in failed: {token.text}")
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        org = self.client.post(
            "/api/v1/organizations",
            json={"name": "Bench school", "kind": "vocational_school", "district_code": "330212"},
        )
        check(org.status_code == 201, f"organization: {org.text}")
        self.org_id = org.json()["id"]
        self.worker_pid = self._find_worker()
        self._warm_up()

    def _warm_up(self) -> None:
        """One small package through the whole path, so round 1 does not time the worker's
        start-up."""
        small = self.folder / "small.zip"
        manifest = {"format": "skills-native/1", "title": "warm-up", "launch": "index.html"}
        with zipfile.ZipFile(small, "w") as zf:
            zf.writestr("skills-package.json", json.dumps(manifest))
            zf.writestr("index.html", b"<!doctype html><title>warm-up</title>")
        status = self._upload_until_done(small, "warm-up")[1]
        check(status["status"] == "ready", f"warm-up package is {status['status']}")

    def _server_said(self) -> str:
        return (self.folder / "serve.log").read_text(errors="replace")[-2000:]

    def _find_worker(self) -> int:
        assert self.server is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            kids = _children(self.server.pid)
            if kids:
                return kids[0]
            time.sleep(0.1)
        raise RuntimeError("the embedded worker did not start")

    def _upload_until_done(self, archive: Path, title: str) -> tuple[float, dict]:
        """Seconds from the upload's first byte until the version left ``processing``."""
        package = self.client.post(
            "/api/v1/packages", json={"title": title, "organization_id": self.org_id}
        )
        check(package.status_code == 201, f"package: {package.text}")
        pid = package.json()["id"]
        start = time.perf_counter()
        with archive.open("rb") as fh:
            up = self.client.post(
                f"/api/v1/packages/{pid}/versions",
                files={"file": (archive.name, fh, "application/zip")},
            )
        check(up.status_code == 202, f"upload: {up.status_code} {up.text[:500]}")
        url = f"/api/v1/packages/{pid}/versions/{up.json()['id']}"
        while True:
            version = self.client.get(url).json()
            if version["status"] != "processing":
                return time.perf_counter() - start, version
            check(time.perf_counter() - start < 1800, "ingest did not finish in 30 minutes")
            time.sleep(0.02)

    def _api_round(self) -> tuple[float, float]:
        # the worker's peak RSS from here on (Linux: "5" resets VmHWM, proc(5) clear_refs)
        Path(f"/proc/{self.worker_pid}/clear_refs").write_text("5")
        seconds, version = self._upload_until_done(self.archive, f"bench {self.round_number}")
        check(version["status"] == "ready", f"version is {version['status']}: {version['errors']}")
        check(
            version["total_size"] == self.inflated and version["entry_count"] == self.file_count,
            f"stored {version['total_size']} bytes of {self.inflated}",
        )
        rss = _peak_rss_mb(self.worker_pid)
        shutil.rmtree(self.objects / "packages", ignore_errors=True)
        return seconds, rss

    # --- rounds -----------------------------------------------------------------------------
    def _new_bytes(self) -> None:
        """Same content, new SHA-256: a new ZIP comment rewrites only the central directory."""
        self.round_number += 1
        with zipfile.ZipFile(self.archive, "a") as zf:
            zf.comment = f"bench round {self.round_number}".encode()

    def round(self) -> list[Figure]:
        self._new_bytes()
        out = self.folder / "out"
        base = _run_json([sys.executable, "-I", "-c", EXTRACTALL, str(self.archive), str(out)])
        shutil.rmtree(out, ignore_errors=True)
        check(base["inflated"] == self.inflated, "extractall inflated a different total")
        ingest = _run_json(
            [sys.executable, "-m", "bench.bench_ingest", "--child", str(self.archive), str(out)]
        )
        shutil.rmtree(out, ignore_errors=True)
        check(ingest["inflated"] == self.inflated, "ingest stored a different total")
        api_seconds, worker_rss = self._api_round()
        return [
            Figure("extractall", "zipfile extractall (clean process)", base["elapsed"], "s",
                   "lower"),
            Figure("ingest", "ingest_archive in process", ingest["elapsed"], "s", "lower",
                   "extractall", goal=1.5),
            Figure("api", "API upload to ready (serve + worker)", api_seconds, "s", "lower",
                   "extractall", goal=2.0),
            Figure("extractall_rss", "extractall peak RSS", base["rss_mb"], "MB", "lower"),
            Figure("ingest_rss", "ingest_archive peak RSS", ingest["rss_mb"], "MB", "lower",
                   limit=RSS_LIMIT_MB),
            Figure("worker_rss", "worker peak RSS during the API ingest", worker_rss, "MB",
                   "lower", limit=RSS_LIMIT_MB),
        ]  # fmt: skip

    def close(self) -> None:
        self.client.close()
        self.server_log.close()
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.server.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def open_bench(scale: Scale) -> IngestBench:
    return IngestBench(scale)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        ingest_child(sys.argv[2], sys.argv[3])
    else:
        main_for("ingest", open_bench)
