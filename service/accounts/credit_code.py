"""Unified social credit code (统一社会信用代码) check, GB 32100-2015 §4.

18 characters from a 31-character alphabet (no I, O, Z, S, V); the last is a check character.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """None when valid, else what is wrong (never echoing the value)."""
    if len(code) != 18:
        return "must be 18 characters long"
    if any(c not in ALPHABET for c in code):
        return "contains characters outside the GB 32100 alphabet"
    if check_character(code[:17]) != code[17]:
        return "has a wrong check character"
    return None
