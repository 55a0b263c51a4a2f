"""Kubernetes quantities parse to exact values; anything else is refused, never guessed."""

from __future__ import annotations

from fractions import Fraction

import pytest

from sidecarlint.quantities import parse_quantity


@pytest.mark.parametrize(
    "text, value",
    [
        # CPU, in cores
        ("100m", Fraction(1, 10)),
        ("250m", Fraction(1, 4)),
        ("0.5", Fraction(1, 2)),
        ("1", Fraction(1)),
        ("1.5", Fraction(3, 2)),
        (".5", Fraction(1, 2)),
        ("2.", Fraction(2)),
        ("+1", Fraction(1)),
        # memory, in bytes
        ("128Mi", 128 * 2**20),
        ("1Gi", 2**30),
        ("1.5Gi", 3 * 2**29),
        ("64Ki", 64 * 1024),
        ("1Ti", 2**40),
        ("1Pi", 2**50),
        ("1Ei", 2**60),
        ("500M", 500 * 10**6),
        ("1k", 1000),
        ("1G", 10**9),
        ("1T", 10**12),
        ("1P", 10**15),
        ("1E", 10**18),  # exa, not an exponent
        ("1e3", 1000),
        ("1E3", 1000),
        ("5e-1", Fraction(1, 2)),
        ("12e+2", 1200),
        ("134217728", 134217728),  # plain bytes
        ("0", 0),
    ],
)
def test_parses_quantity_strings(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("number, value", [(1, 1), (2, 2), (0.5, Fraction(1, 2)), (0.1, Fraction(1, 10))])
def test_yaml_numbers_are_quantities(number, value):
    assert parse_quantity(number) == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "100 m",  # no space allowed between number and suffix
        " 100m",
        "1mi",  # suffixes are case-sensitive
        "1KI",
        "1K",  # kilo is lower-case k
        "1Mb",
        "1e",
        "1e0.5",  # the exponent must be an integer
        "1e99999",
        "Mi",
        ".",
        "1..5",
        "--1",
        "100m ",
        None,
        True,
        False,
        [],
        {"cpu": "1"},
        float("nan"),
        float("inf"),
    ],
)
def test_refuses_what_is_not_a_quantity(value):
    assert parse_quantity(value) is None


def test_comparisons_are_exact():
    assert parse_quantity("1Gi") > parse_quantity("1G")
    assert parse_quantity("1000m") == parse_quantity("1")
    assert parse_quantity("0.1") + parse_quantity("0.2") == parse_quantity("300m")


def test_short_strings_are_parsed_once_and_long_ones_still_parse():
    assert parse_quantity("256Mi") is parse_quantity("256Mi")  # the memo's answer, shared
    assert parse_quantity("256Mi") == 256 * 1024**2
    long = "0" * 100 + "1.5Gi"
    assert parse_quantity(long) == Fraction(3, 2) * 1024**3
    assert parse_quantity("x" * 100) is None
    assert parse_quantity(True) is None and parse_quantity(1) == 1  # equal keys, not memoised together
