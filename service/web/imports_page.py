"""``/imports``: the training provider's page for importing rosters and attendance.

The page is a shell: it signs in through ``POST /api/v1/auth/token``, keeps the access token in a
script variable only (never in storage, so closing the tab signs out), and drives the imports API
(``POST /api/v1/imports``, ``GET /api/v1/imports/{id}``, the templates and the reports) with it.
The server renders no personal data here. The words the script needs come in a JSON block in
the page's language (a ``type="application/json"`` script is data, not code, so the CSP allows it).

Its CSP is the pages' own plus ``connect-src 'self'``: the script calls our API and nothing else.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from service.web.render import CSP, PageContext, render

router = APIRouter(include_in_schema=False)

IMPORTS_CSP = f"{CSP}; connect-src 'self'"
KINDS = ("learners", "enrollments", "attendance")
STATUSES = ("queued", "checking", "running", "done", "refused", "failed")
# service.imports.reading's refusal codes, said in the page's language (the API's message, in
# English and with the row or cell, is shown under it); an unknown code shows the message only.
REFUSALS = (
    "not-a-spreadsheet",
    "legacy-xls",
    "encrypted-spreadsheet",
    "unreadable-encoding",
    "empty-file",
    "header-missing-columns",
    "header-unknown-column",
    "header-duplicate-column",
    "too-many-rows",
    "too-many-columns",
    "cell-too-long",
    "file-too-large",
    "formula-in-data",
)
# Words the script shows; the rest of the page is rendered here.
SCRIPT_KEYS = (
    *(f"imports.status.{s}" for s in STATUSES),
    *(f"imports.refusal.{code}" for code in REFUSALS),
    "imports.status.done_dry",
    "imports.rows",
    "imports.rows_unknown",
    "imports.signed_in_as",
    "imports.role.admin",
    "imports.role.org_admin",
    "imports.role.trainer",
    "imports.error.signin",
    "imports.error.not_staff",
    "imports.error.expired",
    "imports.error.forbidden",
    "imports.error.too_large",
    "imports.error.network",
    "imports.error.no_file",
    "imports.error.upload",
    "imports.error.download",
    "imports.refused.code",
    "imports.failed.body",
)


@router.get("/imports")
def imports_page(request: Request):
    ctx = PageContext(request)
    texts = {key.removeprefix("imports."): ctx.t(key) for key in SCRIPT_KEYS}
    return render(
        ctx,
        "imports.html",
        headers={"Content-Security-Policy": IMPORTS_CSP, "X-Robots-Tag": "noindex, nofollow"},
        page="imports",
        kinds=KINDS,
        texts=texts,
    )
