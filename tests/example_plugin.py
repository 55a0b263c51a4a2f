"""A third-party plugin as a package would ship it: a module of hook implementations."""

from sidecarlint.hookspecs import hookimpl
from sidecarlint.workloads import WorkloadKind


@hookimpl
def sidecarlint_workload_kinds():
    return [WorkloadKind("Canary", ("apps.acme.io",), ("spec", "template", "spec"))]
