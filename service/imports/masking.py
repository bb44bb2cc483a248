"""What an import keeps of an input row for its report: the cells as sent, with personal
numbers masked the way every other output of the service masks them (first 6 and last 4 of an
ID number, first 3 and last 4 of a phone).

The ID and phone columns are masked whatever they hold; every other cell, and the outcome's
message, is searched for such numbers too, since spreadsheets shift columns: an ID number
typed under 人员类别 must not reach the report whole.
"""

from __future__ import annotations

from service.core.personal_numbers import mask
from service.training.pii import mask_id, mask_phone

_MASKS = {"id_number": mask_id, "phone": mask_phone}


def masked_cells(kind: str, cells: dict[str, str]) -> dict[str, str]:
    """``cells`` masked; the kind does not change which fields are personal, it is taken so a
    kind with other personal fields can say so here."""
    del kind
    return {
        field: (_MASKS[field](value) if field in _MASKS else mask(value)) if value else value
        for field, value in cells.items()
    }


def masked_message(message: str | None) -> str | None:
    return mask(message) if message else message
