"""Images that do not say which build they run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.pods import PodView


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None; `host:5000/app` has a port, not a tag."""
    name = image.split("@", 1)[0]
    colon = name.rfind(":")
    return name[colon + 1 :] if colon > name.rfind("/") else None


@check("image-pinned", params={"unpinned-tags": ["latest"]})
def image_pinned(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for container in pod.containers:
        image = container.spec.get("image")
        if not isinstance(image, str) or "@" in image or "{{" in image:
            continue  # missing (a template may leave it to a controller), pinned by digest, or templated
        reference = image.strip()
        if not reference:
            continue  # blank: missing too
        tag = image_tag(reference)
        if tag is None:
            problem = "has no tag, so it runs whatever 'latest' is when the node pulls it"
        elif tag in params["unpinned-tags"]:
            problem = f"uses the moving tag {tag!r}, so it runs whatever that tag points at when the node pulls it"
        else:
            continue
        yield Violation(
            container.field_path("image"),
            f"image {image!r} {problem}; pin a version tag or a digest",
            container.name,
        )
