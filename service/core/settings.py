"""Service settings, read from ``SKILLS_*`` environment variables and an optional ``.env`` file.

One place lists every knob; the README's configuration table mirrors this class. Defaults give
the embedded setup (SQLite, local objects, a broker without a server) so that ``skills serve``
works with no configuration. Production (``SKILLS_ENV=production``) refuses defaults for secrets.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MASTER_KEY = "dev-only-master-key-change-me"
DEFAULT_S3_SECRET = "minioadmin"  # noqa: S105 - the value production must not keep
RATE = r"^[1-9][0-9]{0,6}/(second|minute|hour|day)$"
# The embedded default's content origin: the other name of the same loopback interface.
_LOOPBACK_SWAP = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


def url_origin(url: str) -> tuple[str, str, int] | None:
    """The (scheme, host, port) origin of an http(s) URL (RFC 6454 section 4), or None."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


# Placeholder client secrets production refuses (besides an empty one).
PLACEHOLDER_CLIENT_SECRETS = frozenset({"change-me", "changeme", "secret", "client-secret"})


class OidcProviderConfig(BaseModel):
    """One OpenID Connect provider (SKILLS_OIDC_PROVIDERS is a JSON list of these).

    ``exchange_audiences`` are the ``aud`` values an ID token presented to token exchange
    (RFC 8693) may carry, usually the platform's own client id at this provider; empty: this
    provider's ID tokens are not accepted for token exchange.
    """

    model_config = ConfigDict(hide_input_in_errors=True, frozen=True)  # it holds a secret

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    issuer: str = Field(min_length=1, max_length=500)
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: SecretStr = SecretStr("")
    scopes: list[str] = ["openid"]
    label: str = Field(default="", max_length=100)
    exchange_audiences: list[str] = []


class InsecureConfiguration(RuntimeError):
    """Raised at start-up in production when a secret is missing or still the default."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SKILLS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,  # errors must not print secrets (master key, client secrets)
    )

    env: Literal["development", "production", "test"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""  # empty means SQLite under var_dir
    public_base_url: str = "http://127.0.0.1:8000"
    master_key: SecretStr = SecretStr(DEFAULT_MASTER_KEY)

    # Object storage
    storage_backend: Literal["local", "s3"] = "local"
    storage_local_root: Path | None = None  # default: var_dir / "objects"
    s3_endpoint_url: str | None = None
    # the store's address as browsers reach it (presigned GETs and POST forms are signed for
    # it); empty: s3_endpoint_url, when the service and browsers reach the store alike
    s3_public_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_bucket: str = "skills"
    s3_access_key_id: str = "minioadmin"
    s3_secret_access_key: SecretStr = SecretStr(DEFAULT_S3_SECRET)
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"

    # Course packages
    package_max_upload_bytes: int = Field(default=2 * 1024**3, ge=1024)
    package_max_entries: int = Field(default=20_000, ge=1)
    package_max_total_bytes: int = Field(default=4 * 1024**3, ge=1024)
    package_max_ratio: float = Field(default=20.0, gt=1)
    package_ratio_min_bytes: int = Field(default=16 * 1024**2, ge=0)  # ratio checked past it
    upload_url_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 86_400)
    launch_ttl_seconds: int = Field(default=4 * 3600, ge=60, le=86_400)
    # cmi5: a session initialized and then silent this long is closed as Abandoned (cmi5 9.3.6)
    # by the beat task run every cmi5_abandon_sweep_seconds
    cmi5_session_timeout_seconds: int = Field(default=4 * 3600, ge=60)
    cmi5_abandon_sweep_seconds: float = Field(default=300, ge=10)
    # the origin that serves package content and the player; empty: derived from
    # public_base_url (see resolved_content_base_url)
    content_base_url: str = ""
    spool_dir: Path | None = None  # temp files for uploads and ingest; default: system temp
    # spool files (upload-*.part, ingest-*.zip) older than this that no running job holds are
    # removed at start and by the relay: what a killed worker or request left behind
    spool_max_age_seconds: int = Field(default=6 * 3600, ge=600)

    # Spreadsheet imports (service.imports.reading.limits_from): a larger file is refused whole
    import_max_bytes: int = Field(default=20 * 1024**2, ge=1024)
    import_max_rows: int = Field(default=200_000, ge=1)  # data rows below the header
    import_max_columns: int = Field(default=40, ge=8)
    import_max_cell_chars: int = Field(default=500, ge=50)

    # Background jobs
    broker_url: str = ""  # empty means kombu's filesystem transport under var_dir
    queue_name: str = "skills"
    embedded_worker: bool = True  # `skills serve` starts a worker when true
    outbox_poll_seconds: float = 1.0
    outbox_relay_in_api: bool = True
    # a running job's lease: past it the worker is taken for dead and the job is sent again;
    # longer than the longest job (a large package ingest), and the Redis visibility timeout
    job_lease_seconds: int = Field(default=1800, ge=60, le=86_400)
    tallies_reconcile_seconds: float = Field(default=3600, ge=60)  # beat: tallies reconcile

    # Tokens
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=14 * 86_400, ge=300)
    login_max_failures: int = Field(default=10, ge=1)
    # A lock lasts login_lock_seconds, doubling per consecutive lock up to the cap, so an
    # attacker cannot keep an administrator out for good (OWASP ASVS 2.2.1).
    login_lock_seconds: int = Field(default=900, ge=1)
    login_lock_max_seconds: int = Field(default=86_400, ge=1)
    # The platform's service token may act for any learner by sending X-Learner-Id (each use
    # audited per learner). Off: it must exchange for a learner token (RFC 8693) instead.
    platform_acts_by_header: bool = True

    # HTTP
    log_level: str = "INFO"
    cors_origins: list[str] = []
    # Request bodies (README "Request limits"): the default cap; upload routes have their own.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # xAPI statement batches, with their attachments (PUT/POST /xAPI/statements).
    xapi_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # Rate limits on public routes, per client address ("<n>/<second|minute|hour|day>").
    rate_limit_storage_url: str = "memory://"  # production with several processes: redis://
    rate_limit_verify: str = Field(default="30/minute", pattern=RATE)
    rate_limit_holder_check: str = Field(default="10/minute", pattern=RATE)
    rate_limit_token: str = Field(default="30/minute", pattern=RATE)
    rate_limit_cmi5_fetch: str = Field(default="60/minute", pattern=RATE)
    # POST /api/v1/employer/checks (up to a thousand credentials each), per client address.
    rate_limit_employer_checks: str = Field(default="20/minute", pattern=RATE)
    # POST /api/v1/auth/token with HTTP Basic client credentials (the platform's token exchange),
    # per client_id and per client address: the platform fronts every learner from a few hosts.
    rate_limit_client: str = Field(default="600/minute", pattern=RATE)
    trusted_proxies: list[str] = []  # addresses/CIDRs whose X-Forwarded-For is believed

    # Credentials (Open Badges 3.0 micro-credentials; README "Credentials")
    issuer_slug: str = Field(default="city", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    issuer_name: str = Field(default="宁波市教育局", min_length=1, max_length=200)
    issuer_url: str | None = None  # the issuer's home page, shown in its Profile
    credential_alg: Literal["ES256", "RS256"] = "ES256"  # for keys made by `skills keys create`
    credential_validity_days: int | None = Field(default=None, ge=1, le=36_500)
    # opt-in: a suspension entry makes credentialStatus an array (not 1EdTech-schema-valid)
    credential_suspension: bool = False
    credential_auto_create_key: bool | None = None  # None: only when env is development
    verify_leeway_seconds: int = Field(default=60, ge=0, le=3600)
    # How long a process may answer from memory our own keys' status and our status lists'
    # versions when verifying (credentials.freshness): changes made in the same process show at
    # once, those of other replicas within this window. 0 reads them on every verification.
    verify_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    verify_max_upload_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=10 * 1024 * 1024)
    verify_fetch_foreign: bool = True  # fetch other issuers' keys and status lists over https
    # Employers' credential checks (README "Employers"): items per check, and the upload's size
    # (a spreadsheet or several badge images). A checked token is not kept, only its results.
    employer_check_max_items: int = Field(default=1000, ge=1, le=10_000)
    employer_check_max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024
    )
    # Seconds a check may spend fetching other issuers' keys and status lists; past it the rest
    # of its foreign credentials are inconclusive (time_budget_spent). 0: never fetch them.
    employer_check_seconds: float = Field(default=60, ge=0, le=3600)
    status_list_ttl_seconds: int = Field(default=86_400, ge=600, le=30 * 86_400)
    status_list_max_age_seconds: int = Field(default=300, ge=0, le=86_400)
    trusted_http_hosts: list[str] = []  # tests/dev only: plain http allowed for these hosts

    # Webhooks (README "Webhooks"): seconds between a failed attempt and the next, in order;
    # about a day in all (the Standard Webhooks retry advice). A delivery whose schedule runs out
    # fails; this many consecutive failed deliveries disable the endpoint.
    webhook_retry_schedule: list[Annotated[float, Field(ge=0, le=7 * 86_400)]] = Field(
        default=[5, 300, 1800, 7200, 18_000, 36_000, 36_000], max_length=50
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=30)  # under the job lease
    webhook_disable_after_failed_deliveries: int = Field(default=3, ge=1, le=1000)

    # OpenID Connect providers (service.federation.providers): browser sign-in and the ID tokens
    # token exchange accepts. JSON list of OidcProviderConfig objects.
    oidc_providers: list[OidcProviderConfig] = []
    # Failed link-step tries (ID number and name) per provider subject in 24 hours, across its
    # sign-in attempts; past it every try is refused the same way as a wrong answer.
    oidc_link_max_failures: int = Field(default=10, ge=1, le=1000)

    @model_validator(mode="after")
    def _check_oidc_providers(self) -> Settings:
        """Unique slugs and issuers; https issuers (OpenID Connect Discovery 1.0 section 4.3).

        Raises InsecureConfiguration (not ValueError) so that the message does not carry the
        settings' input, which holds client secrets.
        """
        names: set[str] = set()
        issuers: set[str] = set()
        trusted = {h.lower() for h in self.trusted_http_hosts}
        for provider in self.oidc_providers:
            if provider.name in names:
                raise InsecureConfiguration(
                    f"oidc_providers: provider name {provider.name!r} repeated"
                )
            names.add(provider.name)
            issuer = provider.issuer.rstrip("/")
            if issuer in issuers:
                raise InsecureConfiguration(f"oidc_providers: issuer of {provider.name!r} repeated")
            issuers.add(issuer)
            origin = url_origin(provider.issuer)
            if origin is None:
                raise InsecureConfiguration(
                    f"oidc_providers: issuer of {provider.name!r} is not a URL"
                )
            plain_ok = self.env in ("development", "test") or origin[1].lower() in trusted
            if origin[0] != "https" and not plain_ok:
                raise InsecureConfiguration(
                    f"oidc_providers: issuer of {provider.name!r} must be https"
                )
        return self

    # ---- derived values -------------------------------------------------------------------
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'skills.db').as_posix()}"

    def resolved_broker_url(self) -> str:
        return self.broker_url or "filesystem://localhost/"  # a host, or kombu warns each use

    def broker_dir(self) -> Path:
        return self.var_dir / "broker"

    def local_storage_root(self) -> Path:
        return self.storage_local_root or (self.var_dir / "objects")

    def resolved_content_base_url(self) -> str:
        """The origin of package content and the player: SKILLS_CONTENT_BASE_URL when set.

        Otherwise the embedded default derives a second origin on the same machine and port by
        swapping the loopback names (``127.0.0.1`` <-> ``localhost``): two origins for the
        browser, one listening socket. Any other public host falls back to the public origin
        itself (same origin, no isolation; :meth:`content_origin_warning` says so at start-up).
        """
        if self.content_base_url:
            return self.content_base_url.rstrip("/")
        public = self.public_base_url.rstrip("/")
        parts = urlsplit(public)
        other = _LOOPBACK_SWAP.get(parts.hostname or "")
        if other is None:
            return public
        try:
            port = parts.port
        except ValueError:
            return public
        netloc = other if port is None else f"{other}:{port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def content_origin_warning(self) -> str | None:
        """Why content would share the API's origin, or None when it has an origin of its own."""
        if url_origin(self.resolved_content_base_url()) != url_origin(self.public_base_url):
            return None
        return (
            "package content is served from the public origin "
            f"({self.public_base_url}): set SKILLS_CONTENT_BASE_URL to a separate origin "
            "(another host name) so that content cannot reach the API origin's storage"
        )

    def archive_limits(self):
        from content.limits import ArchiveLimits

        return ArchiveLimits(
            max_entries=self.package_max_entries,
            max_total_uncompressed=self.package_max_total_bytes,
            max_total_ratio=self.package_max_ratio,
            total_ratio_min_size=self.package_ratio_min_bytes,
            max_archive_bytes=self.package_max_upload_bytes,
        )

    def master_key_bytes(self) -> bytes:
        """32 bytes of key material: base64 of 32 bytes is used as is, anything else is hashed."""
        raw = self.master_key.get_secret_value()
        try:
            decoded = base64.b64decode(raw, validate=True)
            if len(decoded) == 32:
                return decoded
        except ValueError:
            pass
        return hashlib.sha256(raw.encode()).digest()

    def derived_key(self, label: str) -> bytes:
        """Independent sub-keys (token signing, URL signing, PII) from the one master key."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(
            self.master_key_bytes()
        )

    def issuer_id(self) -> str:
        """The issuer Profile URL (OB 3.0 Profile id), also the ``iss`` of every credential."""
        return f"{self.public_base_url.rstrip('/')}/issuers/{self.issuer_slug}"

    def auto_create_issuer_key(self) -> bool:
        if self.credential_auto_create_key is not None:
            return self.credential_auto_create_key
        return self.env == "development"

    def insecure_settings(self) -> list[str]:
        """Names of the settings that are unsafe to run production with."""
        problems = []
        key = self.master_key.get_secret_value()
        if not key or key == DEFAULT_MASTER_KEY or len(key) < 32:
            problems.append("SKILLS_MASTER_KEY (missing, default or shorter than 32 characters)")
        if self.storage_backend == "s3" and self.s3_secret_access_key.get_secret_value() in (
            "",
            DEFAULT_S3_SECRET,
        ):
            problems.append("SKILLS_S3_SECRET_ACCESS_KEY (missing or default)")
        browser_s3 = self.s3_public_endpoint_url or self.s3_endpoint_url or ""
        if self.storage_backend == "s3" and browser_s3.startswith("http://"):
            problems.append(
                "SKILLS_S3_PUBLIC_ENDPOINT_URL (browsers get presigned URLs on it: production "
                "needs an https URL they can reach)"
            )
        if not self.database_url or self.database_url.startswith("sqlite"):
            problems.append("SKILLS_DATABASE_URL (production needs PostgreSQL)")
        if not self.broker_url:
            problems.append("SKILLS_BROKER_URL (production needs Redis or RabbitMQ)")
        if not self.public_base_url.startswith("https://"):
            problems.append("SKILLS_PUBLIC_BASE_URL (production needs an https URL)")
        if self.trusted_http_hosts:
            problems.append("SKILLS_TRUSTED_HTTP_HOSTS (plain http key fetching is for tests only)")
        for provider in self.oidc_providers:
            secret = provider.client_secret.get_secret_value()
            if not secret or secret.lower() in PLACEHOLDER_CLIENT_SECRETS:
                problems.append(
                    f"SKILLS_OIDC_PROVIDERS (client_secret of {provider.name!r} missing or default)"
                )
        if self.content_origin_warning() is not None:
            problems.append(
                "SKILLS_CONTENT_BASE_URL (production needs a content origin other than "
                "SKILLS_PUBLIC_BASE_URL's: another host name)"
            )
        return problems

    def check_production_ready(self) -> None:
        if self.env != "production":
            return
        problems = self.insecure_settings()
        if problems:
            raise InsecureConfiguration(
                "refusing to start in production with unsafe settings: " + "; ".join(problems)
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
