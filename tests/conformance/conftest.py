"""Print the conformance batteries' pass counts at the end of the run (also when they pass)."""

from tests.conformance import suite


def pytest_terminal_summary(terminalreporter):
    if suite.SUMMARIES:
        terminalreporter.section("xAPI LRS conformance")
        for line in suite.SUMMARIES:
            terminalreporter.write_line(line)
