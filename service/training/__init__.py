"""Training domain: learners, offerings, enrollments, subsidy rules, the hours ledger, learning
records and completion for lifelong "one person, one skill" training.

Pure rules (ID numbers, subsidy, hours guards, states, SCORM/xAPI parsing) are plain functions
unit-tested on their own; the modules that read and write tables flush and leave the commit to
the caller. Nothing here knows HTTP: errors are ``service.core.errors`` kinds.
"""
