"""examples/journey.py, the README's worked example, run against a live server so it stays right."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from pathlib import Path

import pytest

from service.training.idnumber import compute_check_digit, validate_id_number
from tests.fixtures.accounts import TEST_PASSWORD

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "journey.py"
ID_NUMBER = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def journey():
    spec = importlib.util.spec_from_file_location("journey_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_the_example_id_numbers_are_valid(journey):
    for seed in range(50):
        number = journey.example_id_number(rng=random.Random(seed))
        assert journey.id_check_digit(number[:17]) == compute_check_digit(number[:17])
        assert validate_id_number(number) == number


def test_the_journey_ends_with_a_valid_credential(
    journey, live_server, make_user, issuer_key, drain, capsys
):
    admin = make_user("admin", email="admin@example.gov.cn")
    status = journey.main(
        [
            "--base-url",
            live_server,
            "--email",
            admin.email,
            "--password",
            TEST_PASSWORD,
            "--timeout",
            "30",
        ],
        tick=drain,  # no worker in tests: run the pending jobs as one would
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "enrolment" in out and "completed" in out
    assert "720 minutes" in out
    assert f"issuer {live_server}/issuers/city" in out
    assert "verification: valid" in out
    assert not ID_NUMBER.search(out + err)  # the ID number is never printed


def test_a_failed_step_says_which_and_why(journey, live_server, make_user, capsys):
    admin = make_user("admin")
    status = journey.main(
        ["--base-url", live_server, "--email", admin.email, "--password", "not-the-password"]
    )
    assert status == 1
    assert "sign in: HTTP 400 invalid-grant" in capsys.readouterr().err


def test_the_readme_bodies_are_what_the_api_accepts(journey):
    """Each body under README "A whole journey" passes the model of the route it names."""
    import json
    import uuid

    from service.api.schemas.accounts import OrganizationIn
    from service.training.schemas import (
        AssessmentIn,
        EnrollmentIn,
        HoursBatchIn,
        LearnerIn,
        OfferingIn,
    )

    models = {
        "/api/v1/organizations": OrganizationIn,
        "/api/v1/offerings": OfferingIn,
        "/api/v1/learners": LearnerIn,
        "/api/v1/enrollments": EnrollmentIn,
        "/api/v1/hours/batch": HoursBatchIn,
        "/api/v1/enrollments/{id}/assessment": AssessmentIn,
    }
    readme = (SCRIPT.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A whole journey", 1)[1].split("\n## ", 1)[0]
    block = section.split("```jsonc\n", 1)[1].split("```", 1)[0]
    placeholders = {
        "<18-character resident ID number>": journey.example_id_number(),
        "<offering id>": str(uuid.uuid4()),
        "<learner id>": str(uuid.uuid4()),
        "<enrollment id>": str(uuid.uuid4()),
    }
    for placeholder, value in placeholders.items():
        block = block.replace(placeholder, value)
    seen = []
    for chunk in block.split("// POST ")[1:]:
        route, body = chunk.split("\n", 1)
        path = route.split(" ", 1)[0]
        models[path].model_validate(json.loads(body))
        seen.append(path)
    assert seen == list(models)
