"""The hooks sidecarlint calls: each returns a list, joined with every other plugin's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.hookspecs import hookimpl
from sidecarlint.pods import PodView
from sidecarlint.workloads import WorkloadKind


@check("team-label", params={"label": "acme.io/team"})
def team_label(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """Every pod says which team owns it, so that the on-call page reaches someone."""
    if params["label"] not in pod.labels:
        yield Violation(pod.metadata_path, f"the pod has no {params['label']!r} label naming the team that owns it")


@hookimpl
def sidecarlint_checks():
    return [team_label]


@hookimpl
def sidecarlint_rule_dirs():
    return [Path(__file__).parent / "rules"]


@hookimpl
def sidecarlint_workload_kinds():
    return [WorkloadKind("BatchRun", ("batch.acme.io",), ("spec", "template", "spec"), runs_to_completion=True)]
