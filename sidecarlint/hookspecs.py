"""The one place that says what a plugin can extend.

sidecarlint's own checks, rules, workload kinds, sidecar catalogue and output formats are
registered through these hooks exactly as a third-party package's are. A package extends
sidecarlint by exposing a module with `@hookimpl` functions under the `sidecarlint`
entry-point group:

    [project.entry-points.sidecarlint]
    my_plugin = "my_package.sidecarlint_plugin"

Every hook returns a list; the lists of all plugins are joined.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("sidecarlint")
hookimpl = pluggy.HookimplMarker("sidecarlint")


@hookspec
def sidecarlint_checks():
    """Return `sidecarlint.checks.Check` objects: the logic that rules name by `check:`."""


@hookspec
def sidecarlint_rule_dirs():
    """Return directories (`pathlib.Path`) of rule files, one `<rule-name>.yaml` a rule."""


@hookspec
def sidecarlint_workload_kinds():
    """Return `sidecarlint.workloads.WorkloadKind` objects: kinds that embed a pod spec, and where."""


@hookspec
def sidecarlint_sidecars():
    """Return `sidecarlint.catalogue.CatalogueEntry` objects: known sidecar images and names."""


@hookspec
def sidecarlint_reporters():
    """Return `sidecarlint.reporters.Reporter` objects: output formats for `--format`.

    A reporter writes a collected `LintResult`; one that can write a file at a time also
    names a `stream_target` (see `Reporter`), and then a run never holds all its findings."""
