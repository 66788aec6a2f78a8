"""Command-line tools for accounts: ``flask orgs create`` and ``flask users create``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalog.accounts import services as accounts
from catalog.accounts.models import OrganisationKind, Role
from catalog.errors import DomainError

orgs_cli = AppGroup("orgs", help="Organisations (企业/学校/工会).")
users_cli = AppGroup("users", help="User accounts.")


def _fail(error: DomainError) -> click.ClickException:
    return click.ClickException(f"{error.message} {error.details or ''}".strip())


@orgs_cli.command("create")
@click.option("--code", required=True, help="short unique code, e.g. sgcc-beijing")
@click.option("--name", required=True, help="display name, e.g. 国网北京电力")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default="enterprise",
    show_default=True,
)
def create_org(code: str, name: str, kind: str) -> None:
    """Create an organisation."""
    try:
        org = accounts.create_organisation(code=code, name=name, kind=OrganisationKind(kind))
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"organisation {org.code} created (id {org.id})")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", default="", help="display name (defaults to username)")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="repeat for several roles; default learner",
)
@click.option("--org", "org_code", default=None, help="organisation code")
@click.password_option(help="prompted for when not given")
def create_user(
    username: str, display_name: str, roles: tuple[str, ...], org_code: str | None, password: str
) -> None:
    """Create a user with one or more roles."""
    try:
        organisation = accounts.get_organisation_by_code(org_code) if org_code else None
        user = accounts.create_user(
            username=username,
            display_name=display_name,
            password=password,
            roles=[Role(r) for r in roles],
            organisation=organisation,
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    granted = ", ".join(sorted(role.value for role in user.roles))
    click.echo(f"user {user.username} created (id {user.id}, roles {granted})")
