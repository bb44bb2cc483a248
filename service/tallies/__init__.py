"""Tallies: person-times, distinct learners, hours and credentials toward the city's targets.

See README "Tallies" for the decisions (what counts, when, and how the numbers stay exact).
"""
