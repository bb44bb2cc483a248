"""Vendors scorm-again (the SCORM 1.2 / 2004 runtime the player uses) into the project.

Fetches the pinned release with npm's own client (``npm pack``, from the npm registry npm is
configured with), refuses the tarball unless its sha512 matches the integrity pinned below
(the value npm's lockfiles record, Subresource Integrity form), and copies the browser bundle
and the licence to ``service/web/static/player/vendor/``. The vendor folder's README records the
version, the licence and the SHA-256 of the copied bundle; a test compares that hash with the
file, so the bundle is only ever changed by running this script.

Usage: ``uv run python tools/vendor_scorm_again.py``
"""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "scorm-again"
VERSION = "3.4.3"
INTEGRITY = "sha512-Zbe+7ArMUbT1lVnqYxsbGRfI9JD9JVqEPzZLQdk0nfNmcDYJ404rMO9nbkQ0Hzwux5uACF9zKsvc29Q/ZzMOdg=="  # noqa: E501
LICENSE_NAME = "MIT"
FILES = {"package/dist/scorm-again.min.js": "scorm-again.min.js", "package/LICENSE": "LICENSE"}
ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "service" / "web" / "static" / "player" / "vendor"

README = """# Vendored: {package} {version}

The SCORM 1.2 (`window.API`) and SCORM 2004 (`window.API_1484_11`) runtime that the player
(`../player.js`) builds on. Written by `tools/vendor_scorm_again.py`; do not edit these files by
hand (a test checks the hash below), run the script instead.

- package: `{package}` {version}, from the npm registry (`npm pack {package}@{version}`)
- licence: {license} (see `LICENSE` beside this file)
- tarball integrity: `{integrity}`
- file: `scorm-again.min.js` (the package's `dist/scorm-again.min.js`)
- sha256: `{sha256}`
"""


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_tarball(workdir: Path) -> bytes:
    subprocess.run(  # noqa: S603 - fixed arguments, npm's own client
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", str(workdir)],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = workdir.glob("*.tgz")
    return tarball.read_bytes()


def vendor(data: bytes, target: Path) -> str:
    """Copies the files out of the verified tarball; returns the bundle's sha256."""
    got = integrity_of(data)
    if got != INTEGRITY:
        raise SystemExit(f"{PACKAGE}@{VERSION}: integrity mismatch ({got}); nothing written")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, name in FILES.items():
            extracted = tar.extractfile(member)
            if extracted is None:
                raise SystemExit(f"{member} is missing from the tarball")
            (target / name).write_bytes(extracted.read())
    sha256 = hashlib.sha256((target / "scorm-again.min.js").read_bytes()).hexdigest()
    (target / "README.md").write_text(
        README.format(
            package=PACKAGE,
            version=VERSION,
            license=LICENSE_NAME,
            integrity=INTEGRITY,
            sha256=sha256,
        ),
        encoding="utf-8",
    )
    return sha256


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sha256 = vendor(fetch_tarball(Path(tmp)), VENDOR)
    print(f"{PACKAGE} {VERSION} -> {VENDOR.relative_to(ROOT)} (sha256 {sha256})")


if __name__ == "__main__":
    main()
