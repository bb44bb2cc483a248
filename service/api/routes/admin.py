"""Operator views: the outbox (background jobs) and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlmodel import select

from service.accounts.audit import record_audit
from service.accounts.models import AuditEvent
from service.api.deps import AdminPrincipal, SessionDep
from service.api.pagination import Page, PageParamsDep, page_of
from service.api.problems import conflict, not_found
from service.core.timeutil import utcnow
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.outbox import enqueue

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str
    status: str
    publish_attempts: int
    run_attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    started_at: datetime | None  # when a worker claimed it (status running)
    lease_until: datetime | None  # past this the worker is taken for dead and it is sent again
    done_at: datetime | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    action: str
    subject_type: str
    subject_id: str
    detail: str
    request_id: str | None


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    _: AdminPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    status: Annotated[JobStatus | None, Query()] = None,
    kind: str | None = Query(None, max_length=80),
):
    stmt = select(OutboxJob).order_by(OutboxJob.created_at.desc(), OutboxJob.id)
    if status:
        stmt = stmt.where(OutboxJob.status == status)
    if kind:
        stmt = stmt.where(OutboxJob.kind == kind)
    return page_of(session, stmt, params)


@router.post("/jobs/ping", status_code=202, response_model=JobOut)
def ping_job(principal: AdminPrincipal, session: SessionDep):
    """Enqueue a no-op job to check the outbox, broker and worker end to end."""
    job = enqueue(session, "ops.ping", {"requested_by": str(principal.user_id)})
    session.commit()
    return job


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: uuid.UUID, _: AdminPrincipal, session: SessionDep):
    job = session.get(OutboxJob, job_id)
    if job is None:
        raise not_found("Job")
    return job


@router.post("/jobs/{job_id}/retry", response_model=JobOut, summary="Run a failed job again")
def retry_job(job_id: uuid.UUID, principal: AdminPrincipal, session: SessionDep):
    """A failed job (for example, issuance while no signing key existed) goes back to pending
    with fresh attempts; the relay hands it over again. Jobs in other states are left alone."""
    job = session.get(OutboxJob, job_id)
    if job is None:
        raise not_found("Job")
    if job.status != JobStatus.failed:
        raise conflict(
            f"Job is {job.status}; only failed jobs can be retried.",
            "invalid-job-state",
            current_status=job.status,
        )
    job.status = JobStatus.pending
    job.run_attempts = 0
    job.publish_attempts = 0
    job.available_at = utcnow()
    session.add(job)
    record_audit(
        session,
        actor=principal,
        action="job.retry",
        subject_type="job",
        subject_id=str(job.id),
        detail=job.kind,
    )
    session.commit()
    return job


@router.get("/audit", response_model=Page[AuditOut])
def list_audit(
    _: AdminPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    action: str | None = Query(None, max_length=80),
    subject_id: str | None = Query(None, max_length=100),
):
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if subject_id:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return page_of(session, stmt, params)
