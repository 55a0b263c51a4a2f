"""Problems with the file itself, found while reading it (not valid YAML, a key given twice)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.load import LoadedFile


@check("load-problem", scope="file", params={"kind": "syntax"})
def load_problem(file: LoadedFile, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """Reports what the loader noted of one kind: syntax, duplicate-key, too-complex, unreadable,
    template, tag."""
    for problem in file.problems:
        if problem.kind == params["kind"]:
            yield Violation(problem.path, problem.message, span=problem.span, document=problem.document)
