"""What several checks ask of a pod is computed once per pod view, with the same answers.

`dependencies(pod)` and the log shippers are shared through `PodView.derived`; these tests
compare them with the plain pairwise computation on every fixture and the real manifests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecarlint.dependencies import (
    Dependency,
    KIND_NEEDED_FROM_START,
    _shared_volumes,
    dependencies,
    listening_ports,
    local_connections,
)
from sidecarlint.checks import logs
from sidecarlint.load import load_bytes
from sidecarlint.objects import objects_in
from sidecarlint.pods import PodView, Role, pod_views

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"
MANIFESTS = sorted(p for p in (ROOT / "fixtures").glob("*/*") if p.is_file())
MANIFESTS += sorted(p for p in REAL.glob("*") if p.suffix in (".yaml", ".yml"))


def all_pods(registry) -> list[PodView]:
    pods = []
    for path in MANIFESTS:
        for document in load_bytes(path.read_bytes(), str(path)).documents:
            for obj in objects_in(document):
                pods.extend(pod_views(obj, registry.workload_kinds, registry.catalogue))
    return pods


def reference_dependencies(pod: PodView) -> list[Dependency]:
    """Every pair of containers, everything recomputed for each: the plain reading."""
    found = []
    for dependent in pod.with_role(Role.INIT, Role.SIDECAR, Role.APP, Role.HELPER):
        for provider in pod.with_role(Role.SIDECAR, Role.HELPER, Role.APP):
            if provider is dependent:
                continue
            reason = None
            for port, path in local_connections(dependent):
                if port in listening_ports(provider):
                    reason = (f"connects to localhost:{port}, where {provider.label!r} listens", path)
                    break
            kind = provider.sidecar.kind if provider.sidecar is not None else None
            if reason is None and dependent.role is Role.APP:
                name = provider.field_path("name")
                if kind in KIND_NEEDED_FROM_START:
                    reason = (f"needs the {kind} {provider.label!r} from its first request", name)
                elif kind == "auth-proxy" and any(
                    port in listening_ports(dependent) for port, _ in local_connections(provider)
                ):
                    reason = (f"is served through the auth proxy {provider.label!r}", name)
                if reason is None and kind == "secrets-agent" and _shared_volumes(dependent, provider):
                    reason = (f"reads files that the secrets agent {provider.label!r} renders", name)
            if reason is not None:
                found.append(Dependency(dependent, provider, *reason))
    return found


@pytest.fixture(scope="module")
def pods(registry):
    found = all_pods(registry)
    assert len(found) > 100
    return found


def test_dependencies_as_the_plain_reading_finds_them(pods):
    assert sum(bool(dependencies(pod)) for pod in pods) > 20
    for pod in pods:
        assert dependencies(pod) == reference_dependencies(pod), pod.object.name


def test_dependencies_are_computed_once_per_pod(pods):
    for pod in pods:
        assert dependencies(pod) is dependencies(pod)


def test_the_shared_answers_are_not_part_of_the_view(pods):
    pod = next(pod for pod in pods if dependencies(pod))
    assert "_derived" not in repr(pod)
    twin = PodView(pod.object, pod.workload, pod.path, pod.spec, pod.containers, pod.primary,
                   pod.annotations, pod.labels)
    assert twin == pod


def reference_log_shipper(container, pod):
    """`log_shipper` with every command line split by shlex, as before the cheap test."""
    if not container.runs_alongside_app:
        return None
    words = logs._words(container.command_line)
    tailed = logs._tailed_files(words)
    if container.sidecar is not None and container.sidecar.kind == "log-shipper":
        paths = [p for p in logs._fluent_bit_tail_paths(words) + (tailed or []) if logs._is_log_path(p)]
        return logs.Shipper(container, container.sidecar.name, tuple(paths))
    if tailed is None or container is pod.primary:
        return None
    found = [p for p in tailed if not p.startswith(logs.NOT_LOG_FILES) and p != "/dev/null"]
    if not found:
        return None
    return logs.Shipper(container, "tail -f " + " ".join(found), tuple(p for p in found if logs._is_log_path(p)))


def reference_shippers(pod):
    shippers = [s for s in (reference_log_shipper(c, pod) for c in pod.containers) if s is not None]
    shipping = {id(s.container) for s in shippers}
    if not [c for c in pod.with_role(Role.APP) if id(c) not in shipping]:
        return []
    host_paths = {name for name, volume in logs._volumes(pod).items() if "hostPath" in volume}
    return [s for s in shippers if not any(m.volume in host_paths for m in logs.mounts(s.container))]


def test_log_shippers_as_the_plain_reading_finds_them(pods):
    assert sum(bool(logs.shippers_beside_an_app(pod)) for pod in pods) > 10
    for pod in pods:
        assert logs.shippers_beside_an_app(pod) == reference_shippers(pod), pod.object.name
        assert logs.shippers_beside_an_app(pod) is logs.shippers_beside_an_app(pod)


# Command-line items made of what matters to a shell and to `tail`.
_PIECES = ["tail", "ta", "il", "t", "-f", "-F", "-n", "5", "--follow", "/var/log/a.log", "/usr/bin/", " ",
           "'", '"', "\\", "|", "&&", ";", "#", "\n", "x", "2>&1", "$(", ")"]
command_lines = st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), max_size=4)


@settings(max_examples=1500, deadline=None)
@given(command_lines)
def test_the_cheap_test_never_changes_the_tailed_files(command_line):
    assert logs.tailed_files(command_line) == logs._tailed_files(logs._words(command_line))


@pytest.mark.parametrize("command_line", [["t'ai'l", "-f", "/var/log/a"], ['sh', '-c', 'ta"il" -F /l'],
                                           ["ta\\il -f /var/log/a"], ["/usr/bin/tail -f /x"]])
def test_quotes_and_backslashes_can_make_a_tail(command_line):
    assert logs.tailed_files(command_line) is not None


def test_container_lists_are_read_once_and_stay_out_of_its_value(pods):
    from sidecarlint.pods import Container, mapping_items

    for pod in pods:
        for c in pod.containers:
            for key in ("ports", "env", "volumeMounts"):
                assert c.list_of(key) is c.list_of(key)
                assert c.list_of(key) == mapping_items(c.spec.get(key))
            assert c == Container(c.name, c.role, c.path, c.spec, c.sidecar)
            assert "_lists" not in repr(c)
        assert pod.volumes is pod.volumes and pod.volume_names is pod.volume_names
