"""``skills credentials ...`` and ``skills keys ...`` (Typer sub-apps; mounted by service.cli).

Imports of ``service.core.db`` and ``service.core.settings`` stay inside the commands so this
module imports on its own. ``credentials verify`` prints the verification report as JSON and
exits 0 only when the result is ``valid`` (1 otherwise, 2 for unreadable input).
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

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


def _read_input(value: str) -> str | bytes:
    path = Path(value)
    if len(value) < 4096 and path.suffix.lower() in (".jwt", ".png", ".svg", ".txt"):
        if not path.is_file():
            typer.echo(json.dumps({"error": "file_not_found", "path": value}), err=True)
            raise typer.Exit(2)
        data = path.read_bytes()
        return data if path.suffix.lower() == ".png" else data.decode("utf-8", "replace")
    return value


def _default_issuer(settings) -> str:
    return settings.issuer_id()


@credentials_app.command("verify")
def verify_command(
    input: str = typer.Argument(..., help="A compact JWT, or a path to a .jwt, .png or .svg file"),
    leeway: int = typer.Option(60, help="Seconds of clock leeway for the validity window"),
    offline: bool = typer.Option(False, help="Do not fetch other issuers' keys or lists"),
) -> None:
    """Verify a credential (a compact VC-JWT, or a baked PNG or SVG) and print the report as JSON:
    signature, key provenance, shape, validity window and status, each checked separately.

    Own keys and status lists come from the database; other issuers' (unless --offline) by https.

    Exit status:
    0  valid
    1  not valid, or inconclusive (e.g. a status list that could not be fetched)
    2  unreadable input (no such file)
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from credentials.resolvers import (
        DbKeyResolver,
        DbStatusFetcher,
        HttpKeyResolver,
        HttpStatusFetcher,
        chain_fetchers,
        chain_resolvers,
    )
    from credentials.verify import verify

    data = _read_input(input)
    require_database()
    with ExitStack() as stack:
        resolvers, fetchers, own = [], [], []
        allow_http: set[str] = set()
        try:
            from service.core.db import session_scope
            from service.core.settings import get_settings

            settings = get_settings()
            session = stack.enter_context(session_scope())
            resolvers.append(DbKeyResolver(session))
            fetchers.append(
                DbStatusFetcher(
                    session,
                    public_base_url=settings.public_base_url,
                    master_key=settings.master_key_bytes(),
                )
            )
            own.append(_default_issuer(settings))
            host = urlsplit(settings.public_base_url).hostname or ""
            if settings.env != "production" and host in ("127.0.0.1", "localhost"):
                allow_http.add(host)
            allow_http.update(settings.trusted_http_hosts)
        except ImportError:
            pass
        if not offline:
            resolvers.append(HttpKeyResolver(allow_http_hosts=allow_http))
            fetchers.append(HttpStatusFetcher(allow_http_hosts=allow_http))
        report = verify(
            data,
            key_resolver=chain_resolvers(*resolvers),
            status_fetcher=chain_fetchers(*fetchers),
            leeway=leeway,
            own_issuer_ids=own,
        )
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
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
