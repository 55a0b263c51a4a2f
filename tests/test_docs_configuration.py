"""The examples in docs/configuration.md are run: files written, command run, output compared."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sidecarlint.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
_BLOCK = re.compile(r'^```(?P<lang>\w+)(?: title="(?P<title>[^"]+)")?\n(?P<body>.*?)^```$', re.MULTILINE | re.DOTALL)


def examples() -> list[tuple[str, dict[str, str], str, list[str]]]:
    """(heading, files, command, expected output lines) for every `### Example` section."""
    found = []
    for section in re.split(r"^### ", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]:
        heading = section.splitlines()[0]
        if not heading.startswith("Example"):
            continue
        files, command, output = {}, None, []
        for block in _BLOCK.finditer(section):
            if block["title"]:
                files[block["title"]] = block["body"]
            elif block["lang"] == "console":
                first, *output = block["body"].splitlines()
                command = first.removeprefix("$ ")
        found.append((heading, files, command, output))
    return found


@pytest.mark.parametrize("heading, files, command, output", examples(), ids=[e[0] for e in examples()])
def test_example(tmp_path, monkeypatch, capsys, heading, files, command, output):
    assert files and command, f"{heading}: an example needs files and a console block"
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    argv = shlex.split(command)
    assert argv[0] == "sidecarlint"
    main(argv[1:])
    assert capsys.readouterr().out.splitlines() == output
