"""The shared frame of every benchmark: interleaved rounds, same-round baselines, a table and JSON.

A bench module offers ``open_bench(scale) -> Bench``. Setting up (data, servers, archives) happens
once in ``open_bench``; ``Bench.round()`` then measures the project *and* its baselines once each
and returns the figures. ``python -m bench`` calls ``round()`` of every bench in turn, round after
round, so drift on a shared machine (2 cores here) hits a figure and its baseline alike; ratios
are taken within each round and then summarised (median, min-max), never as a ratio of medians
from different moments.

A round checks what it timed (status codes, equal numbers) and raises ``BenchCheckFailed`` when
the work did not do what it should: a fast wrong answer is not a figure.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

Better = Literal["higher", "lower"]


class BenchCheckFailed(AssertionError):
    """The timed work gave a wrong result; the round's figures are void."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise BenchCheckFailed(message)


@dataclass(frozen=True)
class Figure:
    """One measured value of one round.

    ``baseline`` names (by ``key``) the figure of the same bench this one is compared with; the
    ratio is ``value / baseline`` for both kinds, so for rates (``better="higher"``) a goal is a
    floor (0.5 = half the baseline's rate) and for times or sizes a ceiling (1.5 = at most 1.5x
    the baseline's time). ``limit`` is an absolute goal in the figure's own unit (3 s, 200 MB).
    """

    key: str
    label: str
    value: float
    unit: str
    better: Better = "higher"
    baseline: str | None = None
    goal: float | None = None
    limit: float | None = None


@dataclass(frozen=True)
class Scale:
    """How big to make the data: ``quick`` for a smoke run (minutes), else the issue's scale."""

    quick: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def pick(self, full: int, quick: int) -> int:
        return quick if self.quick else full


class Bench(Protocol):
    name: str

    def round(self) -> list[Figure]: ...

    def close(self) -> None: ...


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """``(seconds, result)`` of one call, by the monotonic high-resolution clock."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_rss_mb_of_children() -> float:
    """Peak resident set of waited-for child processes (``ru_maxrss``), in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# --- Summaries --------------------------------------------------------------------------------


@dataclass
class Summary:
    bench: str
    key: str
    label: str
    unit: str
    better: Better
    values: list[float]
    baseline: str | None = None
    ratios: list[float] = field(default_factory=list)
    goal: float | None = None
    limit: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    def met(self) -> bool | None:
        """Whether the goals (ratio and absolute) hold at the median; None when it has none."""
        verdicts = []
        if self.goal is not None and self.ratio is not None:
            verdicts.append(self._within(self.ratio, self.goal))
        if self.limit is not None:
            verdicts.append(self._within(self.median, self.limit))
        return all(verdicts) if verdicts else None

    def _within(self, value: float, bound: float) -> bool:
        return value >= bound if self.better == "higher" else value <= bound

    def as_json(self) -> dict:
        data = asdict(self)
        data |= {
            "median": self.median,
            "min": min(self.values),
            "max": max(self.values),
            "ratio": self.ratio,
            "ratio_min": min(self.ratios) if self.ratios else None,
            "ratio_max": max(self.ratios) if self.ratios else None,
            "met": self.met(),
        }
        return data


def summarise(bench: str, rounds: list[list[Figure]]) -> list[Summary]:
    """Per figure: every round's value, and every round's ratio to its baseline *of that round*."""
    summaries: dict[str, Summary] = {}
    for figures in rounds:
        by_key = {f.key: f for f in figures}
        for f in figures:
            s = summaries.setdefault(
                f.key,
                Summary(
                    bench, f.key, f.label, f.unit, f.better, [], f.baseline, [], f.goal, f.limit
                ),
            )
            s.values.append(f.value)
            base = by_key.get(f.baseline) if f.baseline else None
            if base is not None and base.value:
                s.ratios.append(f.value / base.value)
    return list(summaries.values())


def _number(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.0f}/s" if value >= 100 else f"{value:,.1f}/s"
    if unit in ("s",):
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.3g} {unit}"


def table(summaries: Iterable[Summary]) -> str:
    """A Markdown table: median and spread of each figure, its ratio to the baseline, the goal."""
    rows = [
        "| bench | figure | median | spread (min-max) | ratio to baseline (min-max) | goal | met |",
        "|---|---|---|---|---|---|---|",
    ]
    summaries = list(summaries)
    labels = {(s.bench, s.key): s.label for s in summaries}
    for s in summaries:
        base = labels.get((s.bench, s.baseline or ""), s.baseline)
        spread = f"{_number(min(s.values), s.unit)} - {_number(max(s.values), s.unit)}"
        ratio = (
            f"{s.ratio:.2f} ({min(s.ratios):.2f}-{max(s.ratios):.2f}) of {base}"
            if s.ratio is not None
            else ""
        )
        goals = []
        sign = ">=" if s.better == "higher" else "<="
        if s.goal is not None:
            goals.append(f"ratio {sign} {s.goal:g}")
        if s.limit is not None:
            goals.append(f"{sign} {_number(s.limit, s.unit)}")
        met = {True: "yes", False: "**no**", None: ""}[s.met()]
        rows.append(
            f"| {s.bench} | {s.label} | {_number(s.median, s.unit)} | {spread} | {ratio} "
            f"| {', '.join(goals)} | {met} |"
        )
    return "\n".join(rows)


def table_from_report(report: dict) -> str:
    """The table of a JSON report written by :func:`run` (for README and reviews)."""
    fields = {f.name for f in Summary.__dataclass_fields__.values()}  # type: ignore[attr-defined]
    summaries = [Summary(**{k: v for k, v in f.items() if k in fields}) for f in report["figures"]]
    m = report["machine"]
    head = (
        f"{report['finished'][:10]}, {m['cpus']} cores, {m['memory_gib']} GiB, Python "
        f"{m['python']}; {report['rounds']} interleaved rounds"
        + (f"; at --quick scale: {', '.join(quick)}" if (quick := _quick_names(report)) else "")
    )
    return head + "\n\n" + table(summaries)


def _quick_names(report: dict) -> list[str]:
    quick = report.get("quick")
    if quick is True:  # reports written before the scale was chosen per bench
        return sorted({f["bench"] for f in report["figures"]})
    return list(quick or [])


def machine() -> dict:
    try:
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# --- Running ------------------------------------------------------------------------------------


OpenBench = Callable[[Scale], Bench]


class _Isolated:
    """A bench in a process of its own, driven round by round over a pipe.

    Benches set environment variables, start servers and cache settings and engines per
    process; apart, none of that leaks into the next bench, and each one's memory is its own.
    The bench's own output goes to stderr; stdout carries one JSON line per answer.
    """

    def __init__(self, name: str, module: str, scale: Scale) -> None:
        import subprocess

        self.name = name
        args = [sys.executable, "-m", "bench.harness", "--worker", module]
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            args + (["--quick"] if scale.quick else []),
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._answer()  # ready, once set up

    def _answer(self) -> list:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise BenchCheckFailed(f"bench {self.name} exited (status {self.proc.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise BenchCheckFailed(f"bench {self.name}: {answer['error']}")
        return answer["figures"]

    def round(self) -> list[Figure]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("round\n")
        self.proc.stdin.flush()
        return [Figure(**f) for f in self._answer()]

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write("close\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=120)
            except Exception:  # noqa: BLE001 - a stuck bench is killed, never left behind
                self.proc.kill()


def _worker(module: str, quick: bool) -> None:
    """The other end of :class:`_Isolated`."""
    import importlib
    import traceback

    protocol = sys.stdout
    sys.stdout = sys.stderr  # prints of the bench must not break the protocol

    def say(answer: dict) -> None:
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()

    try:
        bench = importlib.import_module(module).open_bench(Scale(quick=quick))
    except Exception as exc:  # noqa: BLE001 - reported to the runner, which stops
        traceback.print_exc()
        say({"error": f"set-up failed: {exc!r}"})
        return
    say({"figures": []})
    try:
        for command in sys.stdin:
            if command.strip() != "round":
                break
            try:
                say({"figures": [asdict(f) for f in bench.round()]})
            except Exception as exc:  # noqa: BLE001
                traceback.print_exc()
                say({"error": f"round failed: {exc!r}"})
                break
    finally:
        bench.close()


def run(
    benches: dict[str, OpenBench] | dict[str, str],
    rounds: int,
    scale: Scale | Callable[[str], Scale],
    json_path: Path | None,
    out=sys.stdout,
) -> list[Summary]:
    """Open every bench (a module name: in a process of its own; a function: in this process),
    run ``rounds`` interleaved rounds, print the table, write the JSON."""
    scale_of = scale if callable(scale) else (lambda _name: scale)
    opened: dict[str, Bench] = {}
    failed: dict[str, str] = {}  # a bench that fails is dropped; the others go on
    figures: dict[str, list[list[Figure]]] = {name: [] for name in benches}
    started = datetime.now(UTC)
    try:
        for name, source in benches.items():
            print(f"# setting up {name}", file=out, flush=True)
            try:
                opened[name] = (
                    _Isolated(name, source, scale_of(name))
                    if isinstance(source, str)
                    else source(scale_of(name))
                )
            except BenchCheckFailed as exc:
                failed[name] = str(exc)
                print(f"# FAILED {name}: {exc}", file=out, flush=True)
        for number in range(1, rounds + 1):
            for name, bench in list(opened.items()):
                print(f"# round {number}/{rounds}: {name}", file=out, flush=True)
                try:
                    figures[name].append(bench.round())
                except BenchCheckFailed as exc:
                    failed[name] = str(exc)
                    print(f"# FAILED {name}: {exc}", file=out, flush=True)
                    figures[name] = []
                    opened.pop(name).close()
    finally:
        for bench in opened.values():
            bench.close()
    summaries = [s for name in opened for s in summarise(name, figures[name])]
    print(table(summaries), file=out)
    for name, why in failed.items():
        print(f"**{name} failed**: {why}", file=out)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "rounds": rounds,
            "quick": [name for name in benches if scale_of(name).quick],
            "machine": machine(),
            "figures": [s.as_json() for s in summaries],
            "failed": failed,
        }
        json_path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"# written: {json_path}", file=out)
    if failed:
        raise SystemExit(1)
    return summaries


def main_for(name: str, open_bench: OpenBench, argv: list[str] | None = None) -> None:
    """Standalone entry of one bench module (in this process): the same rounds, table and JSON
    as ``python -m bench`` gives for all."""
    import argparse

    parser = argparse.ArgumentParser(description=f"bench {name}")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small data, for a smoke run")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    run({name: open_bench}, args.rounds, Scale(quick=args.quick), args.json)


if __name__ == "__main__" and len(sys.argv) >= 3 and sys.argv[1] == "--worker":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _worker(sys.argv[2], "--quick" in sys.argv[3:])
