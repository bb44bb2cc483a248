"""Reading the public pages: the dashboard's tables, and screenshots for review."""

from __future__ import annotations

import re
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def table_numbers(html: str, table: str, field: str = "person_times") -> dict[str, int]:
    """``{row key: figure}`` of the dashboard table ``table`` (person-times unless ``field``)."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        rf'<tr data-key="([^"]+)">.*?data-field="{field}">([\d,]+)<', body, flags=re.S
    )
    return {key: int(value.replace(",", "")) for key, value in rows}


def shot(page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
