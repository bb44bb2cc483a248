"""Subsidy rules: each rule alone, all together, status handling, configuration."""

from __future__ import annotations

import pytest

from service.training.states import EnrollmentState as S
from service.training.subsidy import (
    ANNUAL_LIMIT_REACHED,
    LOWER_LEVEL_AFTER_HIGHER,
    OCCUPATION_LEVEL_ALREADY_SUBSIDISED,
    RULES_VERSION,
    PriorSubsidy,
    SubsidyCandidate,
    SubsidyRules,
    decide,
)

RULES = SubsidyRules()
ELECTRICIAN = "6-31-01-03"
WELDER = "6-18-02-04"
COOK = "4-03-02-01"
CARER = "4-10-01-05"


def codes(decision) -> list[str]:
    return [r.code for r in decision.reasons]


def test_first_subsidy_is_granted_with_snapshot():
    decision = decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), [])
    assert decision.granted and decision.reasons == ()
    assert decision.rules_version == RULES_VERSION
    assert decision.params["max_per_year"] == 3
    assert decision.as_dict()["granted"] is True


def test_annual_limit_alone():
    history = [PriorSubsidy(code, 5, 2025, S.COMPLETED) for code in (WELDER, COOK, CARER)]
    decision = decide(RULES, SubsidyCandidate(ELECTRICIAN, 5, 2025), history)
    assert not decision.granted
    assert codes(decision) == [ANNUAL_LIMIT_REACHED]
    assert "2025" in decision.reasons[0].message and "3" in decision.reasons[0].message


def test_annual_limit_counts_only_the_candidate_year():
    history = [PriorSubsidy(code, 5, 2024, S.COMPLETED) for code in (WELDER, COOK, CARER)]
    assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 5, 2025), history).granted


def test_two_in_year_still_allows_a_third():
    history = [
        PriorSubsidy(WELDER, 5, 2025, S.IN_PROGRESS),
        PriorSubsidy(COOK, 5, 2025, S.ENROLLED),
    ]
    assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 5, 2025), history).granted


def test_same_occupation_level_alone_any_year():
    history = [PriorSubsidy(ELECTRICIAN, 4, 2019, S.COMPLETED)]
    decision = decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), history)
    assert codes(decision) == [OCCUPATION_LEVEL_ALREADY_SUBSIDISED]
    assert "中级工" in decision.reasons[0].message


def test_lower_level_after_higher_alone():
    history = [PriorSubsidy(ELECTRICIAN, 3, 2024, S.COMPLETED)]
    decision = decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), history)
    assert codes(decision) == [LOWER_LEVEL_AFTER_HIGHER]
    assert "高级工" in decision.reasons[0].message


def test_higher_level_after_lower_is_the_normal_path():
    history = [PriorSubsidy(ELECTRICIAN, 5, 2023, S.COMPLETED)]
    assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), history).granted


def test_other_occupation_does_not_interfere():
    history = [PriorSubsidy(WELDER, 1, 2024, S.COMPLETED)]
    assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 5, 2025), history).granted


def test_all_rules_fail_together_and_all_are_listed():
    history = [
        PriorSubsidy(ELECTRICIAN, 4, 2025, S.COMPLETED),
        PriorSubsidy(ELECTRICIAN, 2, 2025, S.COMPLETED),
        PriorSubsidy(COOK, 5, 2025, S.COMPLETED),
    ]
    decision = decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), history)
    assert not decision.granted
    assert codes(decision) == [
        ANNUAL_LIMIT_REACHED,
        OCCUPATION_LEVEL_ALREADY_SUBSIDISED,
        LOWER_LEVEL_AFTER_HIGHER,
    ]


def test_withdrawn_never_counts():
    history = [PriorSubsidy(ELECTRICIAN, 3, 2025, S.WITHDRAWN)] * 3 + [
        PriorSubsidy(ELECTRICIAN, 4, 2025, S.WITHDRAWN)
    ]
    assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), history).granted


def test_only_completed_trainings_use_a_slot():
    # Slots are used when a subsidy can be claimed: enrolments, trainings in progress and
    # failed ones (possibly started by someone else for the person) never exhaust them.
    failed_same = [PriorSubsidy(ELECTRICIAN, 4, 2025, S.FAILED)]
    assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), failed_same).granted
    failed_higher = [PriorSubsidy(ELECTRICIAN, 3, 2025, S.FAILED)]
    assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 4, 2025), failed_higher).granted
    for state in (S.FAILED, S.ENROLLED, S.IN_PROGRESS):
        open_or_failed = [PriorSubsidy(code, 5, 2025, state) for code in (WELDER, COOK, CARER)]
        assert decide(RULES, SubsidyCandidate(ELECTRICIAN, 5, 2025), open_or_failed).granted
    three_done = [PriorSubsidy(code, 5, 2025, S.COMPLETED) for code in (WELDER, COOK, CARER)]
    decision = decide(RULES, SubsidyCandidate(ELECTRICIAN, 5, 2025), three_done)
    assert codes(decision) == [ANNUAL_LIMIT_REACHED]


def test_rules_are_configurable():
    history = [
        PriorSubsidy(ELECTRICIAN, 4, 2025, S.COMPLETED),
        PriorSubsidy(ELECTRICIAN, 2, 2025, S.COMPLETED),
        PriorSubsidy(COOK, 5, 2025, S.COMPLETED),
    ]
    lenient = SubsidyRules(
        max_per_year=None, one_per_occupation_level=False, no_lower_level_after_higher=False
    )
    decision = decide(lenient, SubsidyCandidate(ELECTRICIAN, 4, 2025), history)
    assert decision.granted and decision.params["max_per_year"] is None
    strict = SubsidyRules(max_per_year=1, same_level_statuses=[S.FAILED, S.COMPLETED])
    decision = decide(
        strict, SubsidyCandidate(WELDER, 5, 2026), [PriorSubsidy(WELDER, 5, 2020, "failed")]
    )
    assert codes(decision) == [OCCUPATION_LEVEL_ALREADY_SUBSIDISED]


def test_invalid_parameters_and_levels_are_refused():
    with pytest.raises(ValueError):
        SubsidyRules(max_per_year=0)
    with pytest.raises(ValueError):
        SubsidyCandidate(ELECTRICIAN, 6, 2025)
