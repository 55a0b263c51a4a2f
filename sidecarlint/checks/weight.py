"""Helpers and native sidecars that together ask for more CPU or memory than the app itself."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

from sidecarlint.checks import CheckContext, PodsWith, Violation, at_least, check
from sidecarlint.pods import MAPPING_TYPES, Container, PodView, Role
from sidecarlint.quantities import parse_quantity

RESOURCES = (("cpu", "CPU"), ("memory", "memory"))


def requested(container: Container, resource: str) -> tuple[Fraction, str] | None:
    """The container's request (its limit when the request is missing), and how it was written.

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
            value = parse_quantity(amounts[resource])
            if value is None or value < 0:
                return None
            return value, _text(amounts[resource])
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def show(amount: Fraction, resource: str) -> str:
    if resource == "cpu":
        millis = amount * 1000
        if amount.denominator == 1:
            return str(amount.numerator)  # whole cores: "2"
        return f"{millis.numerator}m" if millis.denominator == 1 else f"{float(amount):g}"
    for suffix, power in (("Gi", 3), ("Mi", 2), ("Ki", 1)):
        if amount % 1024**power == 0 and amount >= 1024**power:
            return f"{int(amount / 1024**power)}{suffix}"
    return f"{int(amount)}" if amount.denominator == 1 else f"{float(amount):g}"


def _side(containers: list[Container], resource: str) -> tuple[Fraction, list[tuple[Container, str]]] | None:
    """The sum over containers, and each with its amount as written; None unless every one
    declares it."""
    amounts, written = [], []
    for container in containers:
        amount = requested(container, resource)
        if amount is None:
            return None
        amounts.append(amount[0])
        written.append((container, amount[1]))
    # Fraction arithmetic is slow, and a side is most often one container: no `0 +` first.
    return (sum(amounts[1:], amounts[0]) if amounts else Fraction(0)), written


def _listing(written: list[tuple[Container, str]]) -> str:
    """`app 500m, proxy 100m`: made only for a finding, as most pods have none."""
    return ", ".join(f"{container.label} {text}" for container, text in written)


@check("sidecar-weight", pods=PodsWith(at_least(1, Role.HELPER, Role.SIDECAR), at_least(1, Role.APP)))
def sidecar_weight(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    helpers = pod.with_role(Role.HELPER, Role.SIDECAR)
    apps = pod.with_role(Role.APP)
    if not helpers or not apps:
        return
    heavier = []
    for resource, word in RESOURCES:
        helper_side = _side(helpers, resource)
        if helper_side is None:
            continue  # the apps' side is not needed
        app_side = _side(apps, resource)
        if app_side is None or helper_side[0] <= app_side[0]:
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
