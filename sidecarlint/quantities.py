"""Kubernetes resource quantities ("100m", "0.5", "128Mi", "1e3") as exact numbers.

The grammar is apimachinery's (k8s.io/apimachinery/pkg/api/resource/quantity.go):

    <quantity>        ::= <signedNumber><suffix>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

A value that does not fit is not guessed at: `parse_quantity` returns None for it.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

# `\d+(?:\.\d*)?` rather than `\d+\.?\d*`: the same numbers, but a long run of digits that
# fails to match is given up in linear time, not in the square of its length.
_QUANTITY = re.compile(
    r"""^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))
        (?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?(?:\d+(?:\.\d*)?|\.\d+))?$""",
    re.VERBOSE,
)

MAX_EXPONENT = 64  # far beyond any real request; keeps "1e99999" from costing anything

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_quantity(value: object) -> Fraction | None:
    """The quantity's value (CPU in cores, memory in bytes), or None if it is not one.

    YAML may hand over a plain number (`cpu: 1`, `cpu: 0.5`); booleans and anything else
    that is neither a number nor a quantity string are not quantities.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Fraction(repr(value))
    if not isinstance(value, str):
        return None
    return _parse_short_text(value) if len(value) <= _MEMO_LENGTH else _parse_text(value)


# A run meets the same few quantities (`100m`, `256Mi`) thousands of times, and a Fraction
# is immutable: short strings are parsed once. Long ones are not kept, so that a hostile
# file cannot make the memo hold megabytes.
_MEMO_LENGTH = 64


def _parse_text(value: str) -> Fraction | None:
    match = _QUANTITY.match(value)
    if match is None:
        return None
    try:
        number = Fraction(match["number"])
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * 1024 ** _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * Fraction(10) ** _DECIMAL[suffix]
    if suffix:  # a decimal exponent, e.g. "1e3" or "5E-1"
        exponent = Fraction(suffix[1:])
        if exponent.denominator != 1 or abs(exponent) > MAX_EXPONENT:
            return None  # apimachinery reads the exponent as an integer; "1e0.5" is refused
        return number * Fraction(10) ** int(exponent)
    return number


_parse_short_text = lru_cache(maxsize=4096)(_parse_text)
