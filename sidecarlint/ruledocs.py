"""The rules explained: `--list-rules`, `--explain RULE` and `docs/rules.md`, all from the rule files.

A rule's examples are its own fixtures (`fixtures/<rule>/` beside its `rules/` directory):
the first failing one, with what sidecarlint reports on it, and the first passing one.
Regenerate the reference with `python -m sidecarlint.ruledocs > docs/rules.md`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sidecarlint.rules import Rule

_HARNESS_COMMENT = re.compile(r"^#\s*(expect|kubernetes-version):")


@dataclass(frozen=True)
class Example:
    path: Path
    text: str  # without the fixture's own expectations
    kubernetes_version: str | None


def fixtures_dir(rule: Rule) -> Path:
    """`rules/<name>.yaml` keeps its examples in `fixtures/<name>/` beside `rules/`."""
    return Path(rule.source).parent.parent / "fixtures" / rule.name


def examples(rule: Rule) -> tuple[Example | None, Example | None]:
    """The first failing and the first passing fixture of the rule, if it has them."""
    directory = fixtures_dir(rule)
    found = sorted(directory.glob("*.y*ml")) if directory.is_dir() else []
    failing = next((_example(p) for p in found if p.name.startswith("fail")), None)
    passing = next((_example(p) for p in found if p.name.startswith("pass")), None)
    return failing, passing


def _example(path: Path) -> Example:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    version = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("# kubernetes-version:")), None)
    kept = [line for line in lines if not _HARNESS_COMMENT.match(line)]
    return Example(path, "\n".join(kept) + "\n", version)


def list_rules_text(rules: Iterable[Rule]) -> str:
    rules = sorted(rules, key=lambda rule: rule.name)
    width = max((len(rule.name) for rule in rules), default=0)
    return "".join(f"{rule.name:<{width}}  {str(rule.severity):<7}  {rule.summary}\n" for rule in rules)


def rule_to_dict(rule: Rule) -> dict:
    return {
        "name": rule.name,
        "severity": str(rule.severity),
        "summary": rule.summary,
        "why": rule.why,
        "fix": rule.fix,
        "check": rule.check.name,
        "params": dict(rule.params),
        "tags": list(rule.tags),
        "kubernetes_versions": str(rule.kubernetes_versions) or None,
        "references": list(rule.references),
    }


def explain_text(rule: Rule, reported: list[str] | None = None) -> str:
    """What `sidecarlint --explain RULE` prints: ruff's shape, what, why, example, instead."""
    failing, passing = examples(rule)
    parts = [
        f"{rule.name} ({rule.severity})",
        "",
        rule.summary,
        "",
        f"Kubernetes versions: {rule.kubernetes_versions}" if str(rule.kubernetes_versions) else None,
        "Why",
        _indent(rule.why),
        "",
        "Fix",
        _indent(rule.fix),
    ]
    if failing is not None:
        parts += ["", f"Example that triggers it ({failing.path.name}):", "", _indent(failing.text)]
        if reported:
            parts += ["", "sidecarlint reports:", *(f"  {line}" for line in reported)]
    if passing is not None:
        parts += ["", f"Example that does not ({passing.path.name}):", "", _indent(passing.text)]
    if rule.references:
        parts += ["", "References", *(f"  {reference}" for reference in rule.references)]
    return "\n".join(part for part in parts if part is not None).rstrip() + "\n"


def rules_markdown(rules: Iterable[Rule], reports: dict[str, list[str]]) -> str:
    rules = sorted(rules, key=lambda rule: rule.name)
    out = [
        "# Rules",
        "",
        "<!-- Generated from rules/*.yaml and fixtures/ by `python -m sidecarlint.ruledocs > docs/rules.md`; do not edit. -->",
        "",
        "| rule | severity | what it finds |",
        "|---|---|---|",
        *(f"| [`{rule.name}`](#{rule.name}) | {rule.severity} | {rule.summary} |" for rule in rules),
    ]
    for rule in rules:
        failing, passing = examples(rule)
        versions = str(rule.kubernetes_versions)
        out += ["", f"## {rule.name}", ""]
        out += [f"**{rule.severity}** · tags: {', '.join(rule.tags) or 'none'}"
                + (f" · Kubernetes {versions}" if versions else ""), ""]
        out += [rule.summary, "", "**Why it matters.** " + rule.why, "", "**What to do instead.** " + rule.fix]
        if failing is not None:
            out += ["", "Example:", "", "```yaml", failing.text.rstrip(), "```"]
            if reports.get(rule.name):
                out += ["", "```", *reports[rule.name], "```"]
        if passing is not None:
            out += ["", "Not reported:", "", "```yaml", passing.text.rstrip(), "```"]
        if rule.references:
            out += ["", "References:", "", *(f"- <{reference}>" for reference in rule.references)]
    return "\n".join(out) + "\n"


def reported_on_failing_example(rule: Rule, registry) -> list[str]:
    """What the rule reports on its first failing fixture, as `line:col: message`."""
    from sidecarlint.engine import DEFAULT_KUBERNETES_VERSION, Linter
    from sidecarlint.load import load_text
    from sidecarlint.rules import parse_version

    failing, _ = examples(rule)
    if failing is None:
        return []
    version = parse_version(failing.kubernetes_version) if failing.kubernetes_version else DEFAULT_KUBERNETES_VERSION
    # The example as shown (without the fixture's expectations), so that the lines match.
    findings = Linter(registry, [rule], version).lint_file(load_text(failing.text, failing.path.name)).findings
    return [f"{f.line}:{f.column}: {f.severity} [{f.rule}] {f.message}" for f in sorted(findings, key=lambda f: f.sort_key())]


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.rstrip().splitlines())


def main() -> None:
    from sidecarlint.plugins import default_registry

    registry = default_registry(load_entry_points=False)
    reports = {name: reported_on_failing_example(rule, registry) for name, rule in registry.rules.items()}
    sys.stdout.write(rules_markdown(registry.rules.values(), reports))


if __name__ == "__main__":
    main()
