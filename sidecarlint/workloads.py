"""Kinds of Kubernetes object that embed a pod spec, and the path to it."""

from __future__ import annotations

from dataclasses import dataclass

from sidecarlint.hookspecs import hookimpl


@dataclass(frozen=True)
class WorkloadKind:
    kind: str
    groups: tuple[str, ...]  # API groups, "" for the core group (`apiVersion: v1`)
    pod_spec_path: tuple[str, ...]
    runs_to_completion: bool = False  # Jobs: the pod is meant to finish
    # Where the object declares claims that its controller adds to every pod as volumes.
    volume_claim_templates_path: tuple[str, ...] | None = None

    def matches(self, api_version: str, kind: str) -> bool:
        return kind == self.kind and api_group(api_version) in self.groups


def api_group(api_version: str) -> str:
    """`apps/v1` -> `apps`; `v1` -> `` (the core group)."""
    return api_version.rpartition("/")[0]


_TEMPLATE = ("spec", "template", "spec")
# `extensions` and `apps/v1beta*` served these kinds until Kubernetes 1.16; old manifests
# still carry them, and their pod specs are the same.
_APPS = ("apps", "extensions")


@hookimpl
def sidecarlint_workload_kinds() -> list[WorkloadKind]:
    return [
        WorkloadKind("Pod", ("",), ("spec",)),
        WorkloadKind("PodTemplate", ("",), ("template", "spec")),
        WorkloadKind("ReplicationController", ("",), _TEMPLATE),
        WorkloadKind("Deployment", _APPS, _TEMPLATE),
        WorkloadKind("ReplicaSet", _APPS, _TEMPLATE),
        WorkloadKind("DaemonSet", _APPS, _TEMPLATE),
        WorkloadKind("StatefulSet", ("apps",), _TEMPLATE, volume_claim_templates_path=("spec", "volumeClaimTemplates")),
        WorkloadKind("Job", ("batch",), _TEMPLATE, runs_to_completion=True),
        WorkloadKind(
            "CronJob",
            ("batch",),
            ("spec", "jobTemplate", "spec", "template", "spec"),
            runs_to_completion=True,
        ),
        # Custom resources that embed a pod template, common enough to know without config.
        WorkloadKind("Rollout", ("argoproj.io",), _TEMPLATE),  # Argo Rollouts
        WorkloadKind("Service", ("serving.knative.dev",), _TEMPLATE),  # Knative Serving
        WorkloadKind("Configuration", ("serving.knative.dev",), _TEMPLATE),
        WorkloadKind("Revision", ("serving.knative.dev",), ("spec",)),  # a Revision's spec is the pod spec
        WorkloadKind(
            "ScaledJob", ("keda.sh",), ("spec", "jobTargetRef", "template", "spec"), runs_to_completion=True
        ),  # KEDA
        WorkloadKind(
            "CloneSet", ("apps.kruise.io",), _TEMPLATE, volume_claim_templates_path=("spec", "volumeClaimTemplates")
        ),  # OpenKruise
    ]
