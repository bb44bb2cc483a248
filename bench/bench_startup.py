"""Start-up cost: importing and building the app, and the CLI's first answer.

Run: ``uv run python bench/bench_startup.py [ROUNDS]``. Each figure is the median wall time of
fresh interpreter processes (imports are cached per process, so only a new process measures
them), printed next to a bare ``python -c pass`` measured in the same run, and the ratio. What
moves it: how much each entry point imports (the composition root imports every domain).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass (baseline)": "pass",
    "import service.core.settings": "import service.core.settings",
    "import service.app": "import service.app",
    "create_app()": "from service.app import create_app; create_app()",
    "skills --help": "from service.cli import app; app(['--help'], standalone_mode=False)",
    "import service.worker (Celery app, wired)": "import service.worker",
}


def _run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter and fixed code
        [sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main(rounds: int) -> None:
    timings: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(rounds):  # interleaved, so drift on a shared machine hits every case alike
        for name, code in CASES.items():
            timings[name].append(_run(code))
    baseline = statistics.median(timings["python -c pass (baseline)"])
    print(f"{'case':45} {'median s':>9} {'x baseline':>11}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:45} {median:9.3f} {median / baseline:11.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
