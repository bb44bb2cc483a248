"""``GET /xAPI/about`` (xAPI 1.0.3 Communication §2.8 / 9274.1.1 §4.1.6.7): the xAPI versions this
LRS speaks. It needs neither credentials nor the version header (the one resource exempt from
both), so a client can find out what to send before it sends anything else."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.api.routes.xapi.common import SERVED, xapi_version
from service.core.errors import BadRequest

router = APIRouter()

VERSIONS = sorted(SERVED.values())


@router.api_route("/about", methods=["GET", "HEAD"])
def about(request: Request) -> JSONResponse:
    # Answered in the version asked for, when one is; never refused for lack of it.
    with contextlib.suppress(BadRequest):
        xapi_version(request)
    response = JSONResponse({"version": VERSIONS, "extensions": {}})
    if request.method == "HEAD":
        response.body = b""
    return response
