"""ADL's LRS conformance suite, run as its users' tools run it: a copy with cached npm
dependencies, one battery per xAPI version, results read from the JSON log it writes.

The suite lives outside the repository (``../shared/conformance``) and is never changed: it is
copied to a temporary directory (the original is read-only) for each run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUITE_SOURCE = Path(
    os.environ.get("SKILLS_CONFORMANCE_SUITE")
    or REPO.parent / "shared" / "conformance" / "lrs-conformance-test-suite"
)
KNOWN_FAILURES = Path(__file__).with_name("lrs_known_failures.txt")
BATTERIES = ("1.0.3", "2.0.0")
SEPARATOR = " | "
SETUP_TITLE = "(suite set-up)"
SUMMARIES: list[str] = []  # this session's battery summaries, for the terminal summary


def cache_root() -> Path:
    """Where installed node_modules are kept between runs (CI machines keep /tmp)."""
    configured = os.environ.get("SKILLS_CONFORMANCE_CACHE")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "skills-lrs-cts"


def _install_key(source: Path) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json", "npm-shrinkwrap.json"):
        path = source / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    digest.update(node.stdout.strip().split(".")[0].encode())  # major version: native modules
    return digest.hexdigest()[:16]


def _copy_writable(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("node_modules"))
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            path = Path(root, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)
    target.chmod(target.stat().st_mode | 0o200)


def installed_copy(source: Path = SUITE_SOURCE, timeout: float = 600) -> Path:
    """A copy of the suite with its npm dependencies installed, shared by runs with the same
    package.json / lock file (installed once, then reused)."""
    ready = cache_root() / _install_key(source)
    if (ready / ".installed").exists():
        return ready
    ready.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=ready.parent))
    try:
        copy = staging / "suite"
        _copy_writable(source, copy)
        has_lock = (copy / "package-lock.json").exists()
        command = ["npm", "ci" if has_lock else "install", "--no-audit", "--no-fund"]
        done = subprocess.run(
            command, cwd=copy, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr}")
        (copy / ".installed").touch()
        try:
            copy.rename(ready)
        except OSError:  # another run installed it meanwhile
            if not (ready / ".installed").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ready


def working_copy(installed: Path, target: Path) -> Path:
    """A private, writable copy (its own logs/) whose node_modules is the cached install's.
    The install's ``file:`` dependencies link to ``../local``, resolved in the install."""
    _copy_writable(installed, target)
    (target / ".installed").unlink(missing_ok=True)
    (target / "node_modules").symlink_to(installed / "node_modules", target_is_directory=True)
    return target


@dataclass
class Outcome:
    battery: str
    path: str  # suite and test titles from the battery's root, joined with " > "
    passed: bool
    error: str = ""


@dataclass
class BatteryRun:
    battery: str
    state: str  # the runner's: finished, cancelled, error; or "timed out", "no log"
    summary: dict = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""
    log: Path | None = None  # the runner's JSON log

    @property
    def passed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.passed]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


def run_battery(
    suite: Path, battery: str, endpoint: str, user: str, password: str, timeout: float, grep=None
) -> BatteryRun:
    """Run one battery to the end (or interrupt it at ``timeout``: the runner then still writes
    its log) and read its results."""
    logs = suite / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    command = ["node", "bin/console_runner.js", "-x", battery, "-e", endpoint, "-a"]
    command += ["-u", user, "-p", password]
    if grep:
        command += ["-g", grep]
    out_path = suite / f"console-{battery}.out"
    started = time.monotonic()
    state = None
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=suite, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            state = "timed out"
            proc.send_signal(signal.SIGINT)  # the runner cancels and writes what it has
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the runner's forked mocha process
            proc.wait()
    run = BatteryRun(battery, state or "no log", seconds=time.monotonic() - started)
    run.output = out_path.read_text(errors="replace")
    written = sorted(logs.glob("*.log")) if logs.exists() else []
    if written:
        run.log = written[-1]
        record = json.loads(run.log.read_text())
        run.state = state or record.get("state") or "unknown"
        run.summary = record.get("summary") or {}
        run.outcomes = list(outcomes(battery, record.get("log")))
    return run


def outcomes(battery: str, node: dict | None, parents: tuple[str, ...] = ()):
    """Every test that ran, and every suite whose hook failed (its tests did not run)."""
    if not node:
        return
    title = " ".join((node.get("title") or "").split())
    path = (*parents, title) if title else parents
    children = node.get("tests") or []
    status = node.get("status")
    if node.get("error"):
        # A failed test, or a failed before/after hook (recorded on its enclosing suite).
        yield Outcome(battery, " > ".join(path or (SETUP_TITLE,)), False, node["error"])
    elif not children and title and status in ("passed", "failed"):
        yield Outcome(battery, " > ".join(path), status == "passed", node.get("error") or "")
    for child in children:
        yield from outcomes(battery, child, path)


@dataclass
class KnownFailure:
    battery: str
    path: str
    reason: str


def read_known_failures(path: Path = KNOWN_FAILURES) -> list[KnownFailure]:
    """``<battery> | <test title path> | <reason>`` per line; ``#`` comments and blanks."""
    known = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        battery, sep, rest = line.partition(SEPARATOR)
        title, sep2, reason = rest.rpartition(SEPARATOR)
        if not (sep and sep2) or battery not in BATTERIES or not title or not reason.strip():
            raise ValueError(f"{path.name}:{number}: expected '<battery> | <test> | <reason>'")
        known.append(KnownFailure(battery, " ".join(title.split()), reason.strip()))
    return known


@dataclass
class Verdict:
    new_failures: list[Outcome]
    now_passing: list[KnownFailure]
    stale: list[KnownFailure]

    @property
    def ok(self) -> bool:
        return not (self.new_failures or self.now_passing or self.stale)


def judge(run: BatteryRun, known: list[KnownFailure], complete: bool) -> Verdict:
    """Failures not listed as known, and listed ones that pass now or (on a complete, unfiltered
    run) no longer exist: the list must describe the LRS as it is."""
    expected = {k.path: k for k in known if k.battery == run.battery}
    failing = {o.path for o in run.failed}
    passing = {o.path for o in run.passed} - failing
    new = [o for o in run.failed if o.path not in expected]
    now_passing = [k for p, k in expected.items() if p in passing]
    stale = [k for p, k in expected.items() if complete and p not in failing | passing]
    return Verdict(new, now_passing, stale)


def areas(failures: list[Outcome], top: int = 15) -> list[tuple[str, int]]:
    """Failures counted by the battery's top-level suite (one per test file, roughly)."""
    counts: dict[str, int] = {}
    for failure in failures:
        area = failure.path.split(" > ")[0]
        counts[area] = counts.get(area, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def first_line(error: str, limit: int = 240) -> str:
    text = re.sub(r"\s+", " ", error.split("\nat ")[0]).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(run: BatteryRun, verdict: Verdict) -> str:
    """The readable failure message: what broke, what to remove from the list, and why."""
    listed = len(run.failed) - len(verdict.new_failures)
    lines = [
        f"xAPI {run.battery}: {len(run.passed)} passed, {len(run.failed)} failed "
        f"({listed} of them known; {run.state} in {run.seconds:.0f}s; "
        f"suite total {run.summary.get('total')})"
    ]
    if verdict.new_failures:
        lines.append(f"{len(verdict.new_failures)} failing test(s) not in {KNOWN_FAILURES.name}:")
        lines += [
            f"  {o.battery}{SEPARATOR}{o.path}{SEPARATOR}{first_line(o.error)}"
            for o in verdict.new_failures
        ]
    if verdict.now_passing:
        lines.append(f"{len(verdict.now_passing)} known failure(s) now pass; remove them:")
        lines += [f"  {k.battery}{SEPARATOR}{k.path}" for k in verdict.now_passing]
    if verdict.stale:
        lines.append(f"{len(verdict.stale)} known failure(s) are not in the suite any more:")
        lines += [f"  {k.battery}{SEPARATOR}{k.path}" for k in verdict.stale]
    if run.failed:
        lines.append("failures by area: " + "; ".join(f"{a}: {n}" for a, n in areas(run.failed)))
    return "\n".join(lines)


def report_path() -> Path:
    configured = os.environ.get("SKILLS_CONFORMANCE_REPORT")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "skills-lrs-conformance.json"


def write_report(run: BatteryRun, verdict: Verdict, known: list[KnownFailure]) -> Path:
    """Merge this battery's counts into the report file (one entry per battery)."""
    path = report_path()
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        report = {}
    report[run.battery] = {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "state": run.state,
        "seconds": round(run.seconds),
        "suite_total": run.summary.get("total"),
        "ran": len(run.outcomes),
        "passed": len(run.passed),
        "failed": len(run.failed),
        "known_failures": sum(1 for k in known if k.battery == run.battery),
        "new_failures": len(verdict.new_failures),
        "now_passing": len(verdict.now_passing),
        "failures_by_area": dict(areas(run.failed, top=100)),
        "failures": [f"{o.path}{SEPARATOR}{first_line(o.error)}" for o in run.failed],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    if run.log is not None:  # the full log (requests and responses) beside the counts
        kept = path.with_name(f"{path.stem}-{run.battery}.log.json")
        shutil.copyfile(run.log, kept)
        report[run.battery]["log"] = str(kept)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path
