"""The document resources and the two small lookups (xAPI 1.0.3 Communication §2.3-2.7 /
9274.1.1 §4.1.6.2-6): State, Activity Profile, Agent Profile (GET/HEAD, PUT, POST, DELETE),
Activities and Agents (GET/HEAD). Rules live in :mod:`service.lrs.documents`; here the query
string, headers and body are read and the answer is shaped.

A document GET answers with the stored bytes and Content-Type, a quoted ``ETag`` and
``Last-Modified``; HEAD is the same without the body (Communication §1.1).
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from service.api.deps import SessionDep
from service.api.routes.xapi.common import Caller, XapiVersion
from service.core.errors import NotFound
from service.core.timeutil import utcnow
from service.lrs import documents
from service.lrs.activities import get_activity, parse_activity_id
from service.lrs.document_store import Conditions
from service.lrs.persons import parse_agent_query, person_for

router = APIRouter()

PATHS = {
    "/activities/state": documents.STATE,
    "/activities/profile": documents.ACTIVITY_PROFILE,
    "/agents/profile": documents.AGENT_PROFILE,
}


async def document_body(request: Request) -> bytes:
    # Bounded by the request body limit (BodyLimitMiddleware) before it is read here.
    return await request.body()


Body = Annotated[bytes, Depends(document_body)]


def _params(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def _conditions(request: Request) -> Conditions:
    return Conditions(request.headers.get("If-Match"), request.headers.get("If-None-Match"))


def _http_date(value) -> str:
    return format_datetime(value, usegmt=True)


def _read(kind: str):
    def read(request: Request, _version: XapiVersion, caller: Caller, session: SessionDep):
        target = documents.parse_target(kind, _params(request), request.method)
        head = request.method == "HEAD"
        response: Response
        if target.document_id is None:
            listed = documents.list_documents(session, caller, target)
            headers = {"Last-Modified": _http_date(listed.updated)} if listed.updated else {}
            response = JSONResponse(listed.ids, headers=headers)
        else:
            doc = documents.get_document(session, caller, target)
            if doc is None:
                raise NotFound("not-found", "No such document.")
            headers = {
                "Content-Type": doc.content_type,
                "ETag": f'"{doc.etag}"',
                "Last-Modified": _http_date(doc.updated),
            }
            response = Response(doc.content, headers=headers)
        if head:
            response.body = b""  # the length stays what a GET would send
        return response

    return read


def _put(kind: str):
    def put(
        request: Request, version: XapiVersion, caller: Caller, session: SessionDep, body: Body
    ):
        target = documents.parse_target(kind, _params(request), "PUT")
        documents.put_document(
            session,
            caller,
            target,
            body,
            request.headers.get("Content-Type"),
            _conditions(request),
            version,
            utcnow(),
        )
        session.commit()
        return Response(status_code=204)

    return put


def _post(kind: str):
    def post(
        request: Request, _version: XapiVersion, caller: Caller, session: SessionDep, body: Body
    ):
        target = documents.parse_target(kind, _params(request), "POST")
        documents.post_document(
            session,
            caller,
            target,
            body,
            request.headers.get("Content-Type"),
            _conditions(request),
            utcnow(),
        )
        session.commit()
        return Response(status_code=204)

    return post


def _delete(kind: str):
    def delete(request: Request, _version: XapiVersion, caller: Caller, session: SessionDep):
        target = documents.parse_target(kind, _params(request), "DELETE")
        documents.delete_documents(session, caller, target, _conditions(request))
        session.commit()
        return Response(status_code=204)

    return delete


for _path, _kind in PATHS.items():
    router.add_api_route(_path, _read(_kind), methods=["GET", "HEAD"], response_class=Response)
    router.add_api_route(_path, _put(_kind), methods=["PUT"], status_code=204)
    router.add_api_route(_path, _post(_kind), methods=["POST"], status_code=204)
    router.add_api_route(_path, _delete(_kind), methods=["DELETE"], status_code=204)


@router.api_route("/activities", methods=["GET", "HEAD"])
def activities(request: Request, _version: XapiVersion, _caller: Caller, session: SessionDep):
    """The canonical Activity object (Communication §2.5); any authenticated caller."""
    activity = get_activity(session, parse_activity_id(_params(request)))
    response = JSONResponse(activity)
    if request.method == "HEAD":
        response.body = b""
    return response


@router.api_route("/agents", methods=["GET", "HEAD"])
def agents(request: Request, _version: XapiVersion, caller: Caller, session: SessionDep):
    """The Person object of an agent (Communication §2.4)."""
    person = person_for(session, caller, parse_agent_query(_params(request)))
    response = JSONResponse(person)
    if request.method == "HEAD":
        response.body = b""
    return response
