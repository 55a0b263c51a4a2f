"""`Catalogue.identify` looks literal globs up in a dict and matches only wildcard globs.

It must give exactly what the plain reading of the catalogue gives: every glob of every entry,
in order (the configuration's entries before the built-in ones), tried against every suffix of
the image's path, the first glob that matches winning; the container name only when no glob
matches. `reference_identify` below is that plain reading.
"""

from __future__ import annotations

import fnmatch
import itertools

import pytest

from sidecarlint import catalogue as catalogue_module
from sidecarlint.catalogue import (
    Catalogue,
    CatalogueEntry,
    _path_suffixes,
    builtin_entries,
    image_repository,
)
from tests.test_catalogue import CASES


def reference_identify(catalogue: Catalogue, image: object, name: object) -> CatalogueEntry | None:
    if isinstance(image, str) and image:
        suffixes = _path_suffixes(image_repository(image))
        for entry in catalogue.entries:
            for glob in entry.images:
                if any(fnmatch.fnmatchcase(suffix, glob) for suffix in suffixes):
                    return entry
    if isinstance(name, str):
        names = {n: e for e in catalogue.entries for n in e.names}  # a later entry's name wins
        return names.get(name)
    return None


# What a configuration might put before the built-in entries: a literal glob the built-ins
# also have (the first one must win), wildcards that cover earlier and later literals, the
# same glob twice, globs whose characters mean something to regular expressions, a name.
CONFIGURED = [
    CatalogueEntry("team-fluent", "log-shipper", ("fluent/fluent-bit", "fluent-bit")),
    CatalogueEntry("team-proxies", "other-proxy", ("acme/*-proxy", "istio/proxyv*"), ("acme-proxy",)),
    CatalogueEntry("team-twice", "metrics", ("acme/exporter", "acme/exporter", "acme/exp?rter")),
    CatalogueEntry("team-dots", "db-proxy", ("acme/db.proxy+1", "acme/[dx]b-proxy", "acme/[unclosed")),
    CatalogueEntry("team-late", "metrics", ("fluent/*", "*-exporter", "acme/*")),
]

PREFIXES = ["", "docker.io/", "index.docker.io/", "docker.io/library/", "library/", "host:5000/",
            "registry.example.com:5000/mirror/", "Gcr.IO/", "a/b/c/d/e/f/g/h/i/"]
ENDINGS = ["", ":1.2.3", ":latest", "@sha256:" + "ab" * 32, ":1.0@sha256:" + "cd" * 32, ":5000"]
TRICKY = [
    "", " ", "/", "//", ":", "@", "istio/proxyv2/", "/istio/proxyv2", "istio//proxyv2",
    "ISTIO/PROXYV2:1.20", "  istio/proxyv2:1.20  ", "host:5000/istio/proxyv2", "host:5000",
    "istio/proxyv2:tag:other", "istio/proxyv2@sha256:x@y", "acme/db.proxy+1", "acme/dbxproxy+1",
    "acme/db-proxy", "acme/xb-proxy", "acme/[unclosed", "acme/exporter", "acme/expirter",
    "acme/my-proxy", "acme/a/b-proxy", "istio/proxyv3", "fluent/fluent-bit:3.0",
    "cr.fluentbit.io/fluent/fluent-bit", "x/" * 20 + "promtail", "promtail\n", "nginx",
]


def _images(entries: list[CatalogueEntry]) -> list[str]:
    paths = {glob.replace("*", "x").replace("?", "y").replace("[", "").replace("]", "")
             for entry in entries for glob in entry.images}
    paths |= {glob for entry in entries for glob in entry.images}  # the glob itself, as a path
    images = [prefix + path + ending for path in sorted(paths) for prefix, ending in itertools.product(PREFIXES, ENDINGS)]
    images += [image.upper() for image in images[::7]]
    return images + TRICKY + [image for image, _, _ in CASES if isinstance(image, str)]


@pytest.mark.parametrize("configured", [[], CONFIGURED], ids=["built-in", "configured-first"])
def test_identify_matches_the_reference(configured):
    entries = [*configured, *builtin_entries()]
    catalogue = Catalogue(entries)
    names = [None, "", "istio-proxy", "acme-proxy", "web", 3]
    for image in _images(entries) + [None, 5, b"istio/proxyv2"]:
        for name in names:
            expected = reference_identify(catalogue, image, name)
            assert catalogue.identify(image, name) is expected, (image, name)


def test_configured_entries_come_first():
    catalogue = Catalogue([*CONFIGURED, *builtin_entries()])
    assert catalogue.identify("fluent/fluent-bit:2.1", None).name == "team-fluent"
    assert catalogue.identify("docker.io/istio/proxyv2:1.20", "istio-proxy").name == "team-proxies"
    assert catalogue.identify("acme/db.proxy+1", None).name == "team-dots"
    assert catalogue.identify("acme/dbxproxy+1", None).name == "team-late"  # `.` and `+` are literal
    assert catalogue.identify("registry:5000/fluent-bit", None).name == "team-fluent"
    assert catalogue.identify("fluent/fluentd", None).name == "team-late"
    assert catalogue.identify("nginx-prometheus-exporter", None).name == "team-late"


def test_remembered_repositories_give_the_same_entries_and_stay_bounded(monkeypatch):
    """The memo of image repositories is emptied when full and keeps no long one; answers
    from it, for other tags of a repository and after it has been emptied, are the plain
    reading's."""
    monkeypatch.setattr(catalogue_module, "_MEMO_SIZE", 5)
    catalogue = Catalogue(builtin_entries())
    images = ["istio/proxyv2:1.20", "nginx:1.25", "fluent/fluent-bit", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2",
              "busybox", "hashicorp/vault:1.15", "quay.io/oauth2-proxy/oauth2-proxy:v7"]
    assert all(reference_identify(catalogue, image, None) is not None for image in images[2:4])
    for _ in range(3):
        for image in images:
            assert catalogue.identify(image, "web") is reference_identify(catalogue, image, "web"), image
            other_tag = image.split(":")[0] + ":9.9"  # none of these has a registry port
            assert catalogue.identify(other_tag, None) is reference_identify(catalogue, other_tag, None)
            assert len(catalogue._repository_memo) <= 5
    long_image = "registry.example.com/" + "a/" * 200 + "istio/proxyv2:1.20"
    assert catalogue.identify(long_image, None) is reference_identify(catalogue, long_image, None)
    assert image_repository(long_image) not in catalogue._repository_memo
