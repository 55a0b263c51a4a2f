"""Real manifests from public repositories: sidecarlint runs on every one without error."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecarlint.discover import discover
from sidecarlint.engine import Linter

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
FILES = sorted(p for p in CORPUS.glob("*") if p.suffix in (".yaml", ".yml")) if CORPUS.is_dir() else []


@pytest.fixture(scope="module")
def corpus_result(registry):
    if not FILES:
        pytest.skip("the corpus of real manifests (../shared/corpus/real) is not beside this checkout")
    return Linter(registry, registry.rules.values()).lint_sources(discover([str(p) for p in FILES]))


def test_every_file_lints_without_internal_error_or_parse_failure(corpus_result):
    assert len(corpus_result.files) == len(FILES)
    bad = [f for f in corpus_result.findings if f.rule in ("internal-error", "invalid-yaml", "document-too-complex")]
    assert bad == []


def by_file(result, name_part):
    return [f for f in result.findings if name_part in f.path]


def test_what_it_reports_on_the_corpus_is_true(corpus_result):
    # The Kubernetes docs' native-sidecar Job: the log shipper is an init container with
    # restartPolicy Always; neither container sets resources or pins alpine; the shared
    # emptyDir has no sizeLimit and the shipper mounts it read-write though it only reads.
    job = by_file(corpus_result, "job__job-sidecar.yaml")
    assert {(f.rule, f.container) for f in job} == {
        ("unbounded-resources", "myjob"),
        ("image-tag-unpinned", "myjob"),
        ("unbounded-resources", "logshipper"),
        ("image-tag-unpinned", "logshipper"),
        ("log-sidecar-writable-mount", "logshipper"),
        ("shared-volume-unbounded", None),
    }
    # The same Job written the legacy way never completes: its shipper tails for ever in containers[].
    legacy = by_file(corpus_result, "job__job-sidecar-legacy.yaml")
    assert ("job-sidecar-never-exits", "logshipper") in {(f.rule, f.container) for f in legacy}
    # An ambassador the app reaches on localhost:5432, without a startupProbe.
    ambassador = by_file(corpus_result, "multi-container__ambassador.yaml")
    assert ("sidecar-missing-startup-probe", "ambassador-sidecar") in {(f.rule, f.container) for f in ambassador}
    assert "sidecar container 'logshipper'" in next(
        f.message for f in job if f.rule == "unbounded-resources" and f.container == "logshipper"
    )
    # These declare their volumes properly and no two containers share a port.
    assert not [f for f in corpus_result.findings if f.rule in ("volume-mount-undefined", "port-conflict")]
