"""Parsing of option values shared by several layers (a leaf module: errors only)."""

from __future__ import annotations

from segbench.errors import InputError


def parse_pair(text: str, option: str, names: str, example: str, minimum: int = 1,
               maximum: int | None = None) -> tuple[int, int]:
    """``"AxB"`` -> ``(A, B)`` with both in ``[minimum, maximum]``; one-line errors name the option.

    ``names`` says what A and B are in the message (``"HxW"``, ``"WIDTHxHEIGHT"``).
    """
    try:
        a, b = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise InputError(f"{option} {text!r}: expected {names}, e.g. {example}") from None
    if a < minimum or b < minimum or (maximum is not None and (a > maximum or b > maximum)):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InputError(f"{option} {text!r}: expected each side {bound} pixels")
    return a, b
