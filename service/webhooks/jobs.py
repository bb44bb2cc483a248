"""The webhooks domain's job handlers, registered by ``service.wiring``."""

from __future__ import annotations

from service.jobs.events import EVENT_JOB
from service.webhooks.fanout import SEND_JOB, fan_out
from service.webhooks.sending import send

HANDLERS = {EVENT_JOB: fan_out, SEND_JOB: send}
