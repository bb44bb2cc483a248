"""``skills users ...``: manage user accounts (bootstrap the first administrator)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from service.core.database_ready import require_database

users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
api_key_app = typer.Typer(
    help="API keys (client id and secret) for platform service accounts.", no_args_is_help=True
)
users_app.add_typer(api_key_app, name="api-key")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    role: Annotated[str, typer.Option(help="admin, org_admin, trainer, learner or platform")],
    password: Annotated[
        str | None, typer.Option(help="Password (prompted when omitted; not for platform)")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organization id")] = None,
    name: Annotated[str, typer.Option(help="Display name")] = "",
) -> None:
    """Create a user (bootstrap the first admin with this); prints it as JSON.

    Exit status:
    0  created
    1  refused (e.g. the email is taken, or the role needs --org)
    2  invalid option
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.accounts.models import Role
    from service.accounts.users import UserRuleError, create_user
    from service.core.db import session_scope

    try:
        role_value = Role(role)
    except ValueError:
        raise typer.BadParameter(
            f"role must be one of {', '.join(r.value for r in Role)}"
        ) from None
    try:
        org_id = uuid.UUID(org) if org else None
    except ValueError:
        raise typer.BadParameter("--org must be an organization id (UUID)") from None
    require_database()  # before the password prompt: nobody types it twice for nothing
    if password is None and role_value != Role.platform:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as session:
            user = create_user(
                session,
                email=email,
                role=role_value,
                password=password,
                organization_id=org_id,
                display_name=name,
            )
            out = {
                "id": str(user.id),
                "email": user.email,
                "role": user.role,
                "organization_id": str(user.organization_id) if user.organization_id else None,
            }
    except UserRuleError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(out))


@users_app.command("unlock")
def users_unlock(
    email: Annotated[str, typer.Argument(help="Sign-in email of the locked account")],
) -> None:
    """Lift a sign-in lock at once (failed password attempts lock an account for a while).

    Exit status:
    0  unlocked
    1  no account with that email
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.accounts.audit import record_audit
    from service.accounts.users import UserReferenceMissing, find_by_email, unlock
    from service.core.db import session_scope

    require_database()
    try:
        with session_scope() as session:
            user = find_by_email(session, email)
            unlock(user)
            session.add(user)
            record_audit(
                session,
                actor=None,
                action="user.unlock",
                subject_type="user",
                subject_id=str(user.id),
                detail="cli",
            )
            user_id = str(user.id)
    except UserReferenceMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"id": user_id, "unlocked": True}))


@api_key_app.command("create")
def api_key_create(
    email: Annotated[str, typer.Option(help="Sign-in email of the platform account")],
    name: Annotated[str, typer.Option(help="What the key is for (e.g. the xAPI client)")] = "",
) -> None:
    """Create an API key for a platform account; the secret is printed once, never stored.

    xAPI clients send it to /xAPI as HTTP Basic (client_id:client_secret).

    Exit status:
    0  created
    1  no such account, or not an active platform account
    2  invalid option
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.accounts.audit import record_audit
    from service.accounts.models import Role
    from service.accounts.sessions import create_api_key
    from service.accounts.users import UserReferenceMissing, find_by_email
    from service.core.db import session_scope

    if len(name) > 200:
        raise typer.BadParameter("--name is at most 200 characters")
    require_database()
    try:
        with session_scope() as session:
            user = find_by_email(session, email)
            if user.role != Role.platform:
                typer.echo("error: API keys are for platform accounts only.", err=True)
                raise typer.Exit(1)
            if not user.is_active:
                typer.echo("error: this account is deactivated.", err=True)
                raise typer.Exit(1)
            key, secret = create_api_key(session, user, name)
            record_audit(
                session,
                actor=None,
                action="api_key.create",
                subject_type="api_key",
                subject_id=key.client_id,
                detail="cli",
            )
            out = {
                "id": str(key.id),
                "user_id": str(user.id),
                "name": key.name,
                "client_id": key.client_id,
                "client_secret": secret,
            }
    except UserReferenceMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(out))
