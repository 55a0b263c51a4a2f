"""The text format writes what a manifest says without letting it act on the terminal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sidecarlint.reporters.text import _UNSAFE, _escape, printable


def test_control_format_and_separator_characters_are_escaped():
    assert printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert printable("a\nb\rc") == "a\\nb\\rc"
    assert printable("evil\u202eexe.yaml") == "evil\\u202eexe.yaml"
    assert printable("a\u2028b\x85c\x7f") == "a\\u2028b\\x85c\\x7f"


def test_tabs_and_ordinary_text_are_kept():
    assert printable("a\tb") == "a\tb"
    assert printable("café: ok, 名前") == "café: ok, 名前"


@given(st.text())
def test_the_fast_path_escapes_exactly_what_the_pattern_escapes(text):
    assert printable(text) == _UNSAFE.sub(_escape, text)
