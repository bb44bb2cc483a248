"""``/employer/checks``: an employer's page for checking a list of credentials at once.

Like the import page (``service.web.imports_page``) it is a shell: it signs in through
``POST /api/v1/auth/token`` with an employer account, keeps the access token in a script
variable only (never in storage), posts the pasted list or the chosen files to
``POST /api/v1/employer/checks``, shows one row per credential and downloads the report through
the token. The server renders no personal data here; the words the script needs come in a JSON
block in the page's language (data, not code, so the CSP allows it).

Its CSP is the pages' own plus ``connect-src 'self'``: the script calls our API and nothing else.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from credentials.report import CHECK_ORDER
from service.issuing.employer_checks import INPUT_KINDS, RESULTS
from service.web.render import CSP, PageContext, render

router = APIRouter(include_in_schema=False)

EMPLOYER_CSP = f"{CSP}; connect-src 'self'"
SCRIPT_KEYS = (
    *(f"employer.result.{r}" for r in RESULTS),
    *(f"employer.kind.{k}" for k in INPUT_KINDS),
    *(f"employer.outcome.{o}" for o in ("passed", "failed", "inconclusive", "skipped")),
    "employer.signed_in_as",
    "employer.summary",
    "employer.error.signin",
    "employer.error.not_employer",
    "employer.error.expired",
    "employer.error.forbidden",
    "employer.error.too_large",
    "employer.error.too_many",
    "employer.error.network",
    "employer.error.nothing",
    "employer.error.check",
    "employer.error.download",
)


@router.get("/employer/checks")
def employer_checks_page(request: Request):
    ctx = PageContext(request)
    texts = {key.removeprefix("employer."): ctx.t(key) for key in SCRIPT_KEYS}
    texts |= {f"check.{name}": ctx.t(f"check.{name}") for name in CHECK_ORDER}
    return render(
        ctx,
        "employer_checks.html",
        headers={"Content-Security-Policy": EMPLOYER_CSP, "X-Robots-Tag": "noindex, nofollow"},
        page="employer",
        results=RESULTS,
        texts=texts,
    )
