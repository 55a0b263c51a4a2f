"""Helpers and native sidecars that together ask for more CPU or memory than the app itself."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

from sidecarlint.checks import CheckContext, PodsWith, Violation, at_least, check
from sidecarlint.pods import MAPPING_TYPES, Container, PodView, Role
from sidecarlint.quantities import parse_quantity

RESOURCES = (("cpu", "CPU"), ("memory", "memory"))
# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
HELPERS = (Role.HELPER, Role.SIDECAR)
APPS = (Role.APP,)


def requested(container: Container, resource: str) -> tuple[Fraction, Any] | None:
    """The container's request (its limit when the request is missing), and the value as written.

    "If you specify a limit for a resource, but do not specify any request ... Kubernetes
    copies the limit you specified and uses it as the requested value." None when neither
    is set, or when the value is not a quantity: nothing is guessed.
    """
    resources = container.spec.get("resources")
    if not isinstance(resources, MAPPING_TYPES):
        return None
    for section in ("requests", "limits"):
        amounts = resources.get(section)
        if isinstance(amounts, MAPPING_TYPES) and resource in amounts:
            written = amounts[resource]
            value = parse_quantity(written)
            # A Fraction's sign is its numerator's: cheaper than comparing the Fraction with 0.
            if value is None or value.numerator < 0:
                return None
            return value, written  # as text only for a finding, as most pods have none
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


# Binary units, largest first, for memory that is a whole multiple of one.
_BINARY_UNITS = (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024))


def show(amount: Fraction, resource: str) -> str:
    # In integers, numerator over denominator: Fraction arithmetic is slow.
    numerator, denominator = amount.numerator, amount.denominator
    if resource == "cpu":
        if denominator == 1:
            return str(numerator)  # whole cores: "2"
        millis, rest = divmod(numerator * 1000, denominator)
        return f"{millis}m" if rest == 0 else f"{float(amount):g}"
    if denominator != 1:
        return f"{float(amount):g}"  # a fraction of a byte
    for suffix, unit in _BINARY_UNITS:
        if numerator % unit == 0 and numerator >= unit:
            return f"{numerator // unit}{suffix}"
    return str(numerator)


def _side(containers: list[Container], resource: str) -> tuple[Fraction, list[tuple[Container, Any]]] | None:
    """The sum over containers, and each with its amount as written; None unless every one
    declares it."""
    total, written = None, []
    for container in containers:
        amount = requested(container, resource)
        if amount is None:
            return None
        # Fraction arithmetic is slow, and a side is most often one container: no `0 +` first.
        total = amount[0] if total is None else total + amount[0]
        written.append((container, amount[1]))
    return (Fraction(0) if total is None else total), written


def _at_most(amount: Fraction, other: Fraction) -> bool:
    """`amount <= other`, compared crosswise in integers (denominators are positive), as
    Fraction does but without its checks of the other operand's type."""
    return amount.numerator * other.denominator <= other.numerator * amount.denominator


def _listing(written: list[tuple[Container, Any]]) -> str:
    """`app 500m, proxy 100m`: made only for a finding, as most pods have none."""
    return ", ".join(f"{container.label} {_text(value)}" for container, value in written)


def _sides(pod: PodView) -> tuple[list[Container], list[Container]]:
    """The helpers and native sidecars, and the apps, in one pass over the containers."""
    helpers, apps = [], []
    for container in pod.containers:
        if container.role in HELPERS:
            helpers.append(container)
        elif container.role in APPS:
            apps.append(container)
    return helpers, apps


@check("sidecar-weight", pods=PodsWith(at_least(1, *HELPERS), at_least(1, *APPS)))
def sidecar_weight(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    helpers, apps = _sides(pod)
    if not helpers or not apps:
        return
    heavier = []
    for resource, word in RESOURCES:
        helper_side = _side(helpers, resource)
        if helper_side is None:
            continue  # the apps' side is not needed
        app_side = _side(apps, resource)
        if app_side is None or _at_most(helper_side[0], app_side[0]):
            continue
        heavier.append(
            f"{word} {show(helper_side[0], resource)} ({_listing(helper_side[1])}) against "
            f"{show(app_side[0], resource)} ({_listing(app_side[1])})"
        )
    if heavier:
        yield Violation(
            pod.path,
            "the helpers and native sidecars request more than the app containers they serve: "
            + "; ".join(heavier)
            + "; every replica pays for them, and the scheduler places the pod by the sum",
        )
