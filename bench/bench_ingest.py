"""Benchmark: ingest of a large package into LocalStorage vs plain ``zipfile`` extraction.

Builds an archive of ``size`` MB (default 1024) with ``files`` entries (default 10,000), each
half random (incompressible) and half text (compressible), then in separate child processes:

* ``ingest``: :func:`content.ingest.ingest_archive` into a LocalStorage in a temp dir (SHA-256
  pass, metadata checks, manifest parse, streamed inflate-and-store with all limits);
* ``extractall``: ``zipfile.ZipFile.extractall`` of the same archive to local disk (baseline).

Prints wall time, throughput (MB/s of inflated bytes), peak RSS of each child (ru_maxrss), and
the ingest/extractall time ratio. Usage::

    uv run python bench/bench_ingest.py [SIZE_MB] [FILES]      # or BENCH_SIZE_MB / BENCH_FILES
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def build_archive(path: Path, size_mb: int, files: int) -> int:
    rng = random.Random(42)
    pool = rng.randbytes(8 * MB)
    text = (b"Ningbo lifelong skills: one person, one skill. " * 4096)[: 4 * MB]
    per_file = max(1, size_mb * MB // files)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        manifest = {
            "format": "skills-native/1",
            "title": "Benchmark package",
            "launch": "index.html",
            "hours": 10,
        }
        zf.writestr("skills-package.json", json.dumps(manifest))
        zf.writestr("index.html", b"<!doctype html><title>bench</title>")
        for i in range(files):
            half = per_file // 2
            a = rng.randrange(0, len(pool) - half)
            b = rng.randrange(0, len(text) - (per_file - half))
            data = pool[a : a + half] + text[b : b + per_file - half]
            zf.writestr(f"content/{i // 100:03d}/{i:05d}.bin", data)
    return path.stat().st_size


def child(mode: str, archive: str, out: str) -> None:
    sys.path.insert(0, str(ROOT))
    from content.ingest import ingest_archive
    from content.storage import LocalStorage

    start = time.perf_counter()
    if mode == "ingest":
        storage = LocalStorage(Path(out), b"bench-signing-key", "http://localhost")
        with open(archive, "rb") as fh:
            result = ingest_archive(fh, storage)
        if not result.accepted:
            raise SystemExit(f"rejected: {result.report.errors[:3]}")
        inflated = result.stored_bytes
    elif mode == "extractall":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(out)
            inflated = sum(i.file_size for i in zf.infolist())
    else:  # idle: interpreter + imports only
        inflated = 0
    elapsed = time.perf_counter() - start
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"elapsed": elapsed, "inflated": inflated, "rss_mb": rss_kb / 1024}))


def run_child(mode: str, archive: Path, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(archive), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    args = [a for a in sys.argv[1:]]
    size_mb = int(args[0]) if args else int(os.environ.get("BENCH_SIZE_MB", "1024"))
    files = int(args[1]) if len(args) > 1 else int(os.environ.get("BENCH_FILES", "10000"))
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmpdir = Path(tmp)
        archive = tmpdir / "package.zip"
        t0 = time.perf_counter()
        archive_size = build_archive(archive, size_mb, files)
        print(
            f"archive: {files} files, {archive_size / MB:.0f} MB on disk "
            f"(built in {time.perf_counter() - t0:.1f}s)"
        )
        idle = run_child("idle", archive, tmpdir / "idle")
        results = {}
        for mode in ("extractall", "ingest"):
            out = tmpdir / mode
            results[mode] = run_child(mode, archive, out)
            shutil.rmtree(out, ignore_errors=True)
        for mode, r in results.items():
            mbps = r["inflated"] / MB / r["elapsed"]
            print(
                f"{mode:>10}: {r['elapsed']:6.1f}s  {mbps:7.1f} MB/s inflated  "
                f"peak RSS {r['rss_mb']:6.1f} MB"
            )
        print(f"{'idle':>10}: peak RSS {idle['rss_mb']:6.1f} MB (interpreter + imports)")
        ratio = results["ingest"]["elapsed"] / results["extractall"]["elapsed"]
        print(
            f"ratio ingest/extractall time: {ratio:.2f}x "
            f"(ingest also hashes the archive and checks every limit)"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
