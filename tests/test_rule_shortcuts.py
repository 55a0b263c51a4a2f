"""The cheaper readings some rules use give the answers of the plain ones they replace."""

from __future__ import annotations

import fnmatch
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecarlint.checks import completion, logs, weight
from sidecarlint.load import load_bytes
from sidecarlint.objects import objects_in
from sidecarlint.pods import Container, PodView, Role, pod_views

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = sorted(p for p in (ROOT / "fixtures").glob("*/*") if p.is_file())


@pytest.fixture(scope="module")
def pods(registry) -> list[PodView]:
    found = []
    for path in MANIFESTS:
        for document in load_bytes(path.read_bytes(), str(path)).documents:
            for obj in objects_in(document):
                found.extend(pod_views(obj, registry.workload_kinds, registry.catalogue))
    assert len(found) > 100
    return found


@settings(max_examples=2000, deadline=None)
@given(st.text("ab*?[]!-.\\", max_size=6), st.text("ab*?[]!-.\\", max_size=6))
def test_a_path_component_matches_as_fnmatch_says(name, pattern):
    assert logs._component_matches(name, pattern) == fnmatch.fnmatchcase(name, pattern)


def plain_shared_mounts(shipper: logs.Shipper, pod: PodView) -> dict[str, list[Container]]:
    """Every other container's mounts read again for each of the shipper's."""
    volumes = logs._volumes(pod)
    shared: dict[str, list[Container]] = {}
    for mount in logs.mounts(shipper.container):
        if any(source in volumes.get(mount.volume, {}) for source in logs.READ_ONLY_SOURCES):
            continue
        others = [
            other
            for other in pod.containers
            if other is not shipper.container
            and other.role is not Role.EPHEMERAL
            and any(m.volume == mount.volume for m in logs.mounts(other))
        ]
        if others:
            shared.setdefault(mount.volume, others)
    return shared


def test_shared_mounts_as_the_plain_reading_finds_them(pods):
    shippers = 0
    for pod in pods:
        for shipper in logs.shippers_beside_an_app(pod):
            shippers += 1
            assert logs.shared_mounts(shipper, pod) == plain_shared_mounts(shipper, pod), pod.object.name
            assert logs.pod_mounts(pod).of(shipper.container) == logs.mounts(shipper.container)
    assert shippers > 10


def plain_show(amount: Fraction, resource: str) -> str:
    """`show` in Fraction arithmetic."""
    if resource == "cpu":
        millis = amount * 1000
        if amount.denominator == 1:
            return str(amount.numerator)
        return f"{millis.numerator}m" if millis.denominator == 1 else f"{float(amount):g}"
    for suffix, power in (("Gi", 3), ("Mi", 2), ("Ki", 1)):
        if amount % 1024**power == 0 and amount >= 1024**power:
            return f"{int(amount / 1024**power)}{suffix}"
    return f"{int(amount)}" if amount.denominator == 1 else f"{float(amount):g}"


amounts = st.one_of(
    st.fractions(min_value=0, max_denominator=10**6),
    st.builds(lambda n, p: Fraction(n * 1024**p), st.integers(0, 5000), st.integers(0, 4)),
    st.builds(Fraction, st.integers(0, 10**12), st.sampled_from([1, 2, 4, 10, 100, 1000, 1024, 3])),
)


@settings(max_examples=2000, deadline=None)
@given(amounts, amounts)
def test_amounts_are_shown_and_compared_as_in_fraction_arithmetic(amount, other):
    for resource in ("cpu", "memory"):
        assert weight.show(amount, resource) == plain_show(amount, resource)
    assert weight._at_most(amount, other) == (amount <= other)


_EXIT_PIECES = ["/quitquitquit", "--quitquitquit", "/shutdown", "shutdownx", "linkerd-await", "-exit-after-auth",
                "--one-time", "GIT_SYNC_ONE_TIME", "quit", "down", "-", "/", " ", "x", "_"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_EXIT_PIECES), max_size=5).map("".join), max_size=4))
def test_the_exit_words_never_change_whether_a_container_can_be_stopped(command):
    container = Container("helper", Role.HELPER, ("spec", "containers", 0), {"command": command})
    plain = completion._EXIT_MECHANISM.search(completion._text(container)) is not None
    assert completion._can_be_stopped(container) == plain
