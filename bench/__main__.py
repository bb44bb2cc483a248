"""``uv run python -m bench [--rounds N] [--only a,b] [--quick [a,b]] [--json PATH]``: every
benchmark, in interleaved rounds, one table (median, spread, ratio to the same round's
baseline, goal) and one JSON report (default ``bench/results/latest.json``).

PostgreSQL benches use ``SKILLS_BENCH_DATABASE_URL`` (default the local server's ``test``
database; each makes and drops its own scratch database). ``--show PATH`` prints the table of a
saved report.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Scale, run, table_from_report  # noqa: E402

# name -> module; the order is the order of each round.
BENCHES = {
    "startup": "bench.bench_startup",
    "credentials": "bench.bench_credentials",
    "verify_http": "bench.bench_verify_http",
    "ingest": "bench.bench_ingest",
    "content": "bench.bench_content",
    "play": "bench.bench_play",
    "enrolments": "bench.bench_training",
    "hours": "bench.bench_hours_batch",
    "imports": "bench.bench_imports",
    "import_readers": "bench.bench_import_readers",
    "lrs": "bench.bench_lrs",
    "tallies": "bench.bench_tallies",
}
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated names: " + ", ".join(BENCHES))
    parser.add_argument(
        "--quick",
        nargs="?",
        const="*",
        default="",
        help="small data, for a smoke run: every bench, or only the comma-separated ones named",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--show", type=Path, help="print the table of a JSON report, run nothing")
    args = parser.parse_args(argv)
    if args.show:
        print(table_from_report(json.loads(args.show.read_text())))
        return
    names = [n for n in args.only.split(",") if n] or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown bench: {', '.join(unknown)}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    # each bench in a process of its own (bench.harness), rounds interleaved across them
    quick = set(BENCHES) if args.quick == "*" else {n for n in args.quick.split(",") if n}
    if quick - set(BENCHES):
        parser.error(f"unknown bench: {', '.join(sorted(quick - set(BENCHES)))}")
    run(
        {n: BENCHES[n] for n in names},
        args.rounds,
        lambda name: Scale(quick=name in quick),
        args.json,
    )


if __name__ == "__main__":
    main()
