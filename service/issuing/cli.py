"""``skills credentials ...`` and ``skills keys ...`` (Typer sub-apps; mounted by service.cli).

Imports of ``service.core.db`` and ``service.core.settings`` stay inside the commands so this
module imports on its own. ``credentials verify`` prints the verification report as JSON and
exits 0 only when the result is ``valid`` (1 otherwise, 2 for unreadable input).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from service.core.database_ready import require_database

credentials_app = typer.Typer(help="Verify Open Badges 3.0 skill micro-credentials.")
keys_app = typer.Typer(help="Issuer signing keys (ES256 by default).")


@credentials_app.callback()
def _credentials_group() -> None:
    """Keep ``verify`` a sub-command even while it is the only one."""


@keys_app.callback()
def _keys_group() -> None:
    """Signing keys: create, rotate, compromise, list."""


VERIFY_FILE_SUFFIXES = (".jwt", ".png", ".svg", ".txt", ".json", ".jsonld")


def _read_input(value: str) -> str | bytes:
    """The file's bytes (sniffed by the verifier, as the API does), or the argument itself."""
    path = Path(value)
    if len(value) < 4096 and path.suffix.lower() in VERIFY_FILE_SUFFIXES:
        if not path.is_file():
            typer.echo(json.dumps({"error": "file_not_found", "path": value}), err=True)
            raise typer.Exit(2)
        return path.read_bytes()
    return value


def _default_issuer(settings) -> str:
    return settings.issuer_id()


@credentials_app.command("verify")
def verify_command(
    input: str = typer.Argument(
        ..., help="A compact JWT, or a path to a .jwt, .json, .png or .svg file"
    ),
    leeway: int | None = typer.Option(
        None, help="Seconds of clock leeway (default: SKILLS_VERIFY_LEEWAY_SECONDS)"
    ),
    offline: bool = typer.Option(False, help="Do not fetch other issuers' keys or lists"),
) -> None:
    """Verify a credential (a compact VC-JWT, a JSON credential, or a baked PNG or SVG) and
    print the report as JSON: signature, key provenance, shape, validity window and status,
    each checked separately.

    The same verifier as ``POST /api/v1/verify`` and the /verify page (same keys, status
    lists and fetch rules, so the same answer): own keys and lists from the database, other
    issuers' (unless --offline) over https from public hosts (SKILLS_TRUSTED_HTTP_HOSTS).

    Exit status:
    0  valid
    1  not valid, or inconclusive (e.g. a status list that could not be fetched)
    2  unreadable input (no such file, or no credential in it)
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.core.db import session_scope
    from service.core.settings import get_settings
    from service.issuing.verification import is_unreadable, verify_input

    data = _read_input(input)
    settings = get_settings()
    changes: dict = {}
    if offline:
        changes["verify_fetch_foreign"] = False
    if leeway is not None:
        changes["verify_leeway_seconds"] = max(0, leeway)
    if changes:
        settings = settings.model_copy(update=changes)
    require_database()
    with session_scope() as session:
        report = verify_input(session, settings, data)
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    if is_unreadable(report):
        raise typer.Exit(2)
    raise typer.Exit(0 if report.valid else 1)


def _key_line(row) -> dict:
    """Public facts about a key (never private material)."""
    return {
        "kid": row.kid,
        "alg": row.alg,
        "issuer": row.issuer_id,
        "status": row.status,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "retired_at": row.retired_at.isoformat() if row.retired_at else None,
        "compromised_at": row.compromised_at.isoformat() if row.compromised_at else None,
    }


@keys_app.command("create")
def create_command(
    alg: str = typer.Option("", help="ES256 or RS256 (default: SKILLS_CREDENTIAL_ALG)"),
    issuer: str = typer.Option("", help="Issuer Profile id (default: the configured issuer)"),
) -> None:
    """Make a new active signing key (other active keys stay active: use rotate to replace).

    Exit status:
    0  created (its public JWK is printed)
    2  invalid option
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from credentials.keys import create_key, public_jwk
    from service.core.db import session_scope
    from service.core.settings import get_settings

    settings = get_settings()
    if alg and alg not in ("ES256", "RS256"):
        raise typer.BadParameter("alg must be ES256 or RS256")
    require_database()
    with session_scope() as session:
        row = create_key(
            session,
            master_key=settings.master_key_bytes(),
            public_base_url=settings.public_base_url,
            issuer_id=issuer or _default_issuer(settings),
            alg=alg or settings.credential_alg,
        )
        typer.echo(json.dumps(public_jwk(row), indent=2))


@keys_app.command("rotate")
def rotate_command(
    alg: str = typer.Option("", help="ES256 or RS256 (default: the current key's)"),
    issuer: str = typer.Option("", help="Issuer Profile id (default: the configured issuer)"),
) -> None:
    """New active key; the previous ones are retired but stay published for verification.

    Exit status:
    0  rotated (the new public JWK is printed)
    2  invalid option
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from credentials.keys import public_jwk, rotate_key
    from service.core.db import session_scope
    from service.core.settings import get_settings

    settings = get_settings()
    if alg and alg not in ("ES256", "RS256"):
        raise typer.BadParameter("alg must be ES256 or RS256")
    require_database()
    with session_scope() as session:
        row = rotate_key(
            session,
            master_key=settings.master_key_bytes(),
            public_base_url=settings.public_base_url,
            issuer_id=issuer or _default_issuer(settings),
            alg=alg or None,
        )
        typer.echo(json.dumps(public_jwk(row), indent=2))


@keys_app.command("compromise")
def compromise_command(
    kid: str = typer.Argument(..., help="The key's kid URL or its uuid"),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the key, max 500 chars)"),
) -> None:
    """Withdraw a key: it leaves the JWKS, its kid URL answers 410, its credentials fail.

    Exit status:
    0  withdrawn
    2  unknown key, or a blank --reason
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from credentials.keys import SigningKeyLookupError, key_document, mark_compromised
    from service.core.db import session_scope
    from service.issuing.keys import active_count

    if not reason.strip():
        raise typer.BadParameter("--reason must not be blank")
    require_database()
    with session_scope() as session:
        try:
            jwk, _status = key_document(session, kid)
        except SigningKeyLookupError:
            typer.echo(json.dumps({"error": "unknown_key", "kid": kid}), err=True)
            raise typer.Exit(2) from None
        row = mark_compromised(session, jwk["kid"], reason.strip())
        remaining = active_count(session, row.issuer_id)
        out = _key_line(row)
    typer.echo(json.dumps(out, indent=2))
    if remaining == 0:
        typer.echo(
            "warning: the issuer has no active key left; issuance and status lists stop until "
            "you run `skills keys create`",
            err=True,
        )


@keys_app.command("list")
def list_command(
    issuer: str = typer.Option("", help="Only this issuer's keys (default: all)"),
) -> None:
    """Every key with its public facts and status (active, retired, compromised).

    Exit status:
    0  listed
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.core.db import session_scope
    from service.issuing.keys import list_keys

    require_database()
    with session_scope() as session:
        rows = [_key_line(row) for row in list_keys(session, issuer or None)]
    typer.echo(json.dumps(rows, indent=2))
