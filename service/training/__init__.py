"""Training domain: pure rules and reference data for lifelong "one person, one skill" training.

Nothing in this package touches HTTP or the database. Routers and DB services call these plain
functions (ID validation, PII protection, subsidy rules, hours guards, enrollment states,
SCORM/xAPI parsing) so that every rule lives in exactly one place and is unit-testable.
"""
