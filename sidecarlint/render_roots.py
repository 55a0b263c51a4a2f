"""Which directories of a run are rendered, and what is then left to lint file by file.

A directory that holds a kustomization (`kustomization.yaml`, `kustomization.yml`,
`Kustomization`) or a Helm chart (`Chart.yaml`) is a render root. Every file is linted
once in a run:

- A kustomization that another kustomization of the run uses (as a resource, base or
  component, through any number of steps) is linted through that one, not rendered on its
  own as well; the files a rendered kustomization uses, and every file under its
  directory, are not linted again as plain files.
- A chart is rendered whole with `helm template`; nothing under it is walked.
- Without a renderer, the files are linted as they are and each root that would have been
  rendered gets one note: on its kustomization file, or on `Chart.yaml` (whose
  `templates/` are then skipped, as they are not YAML until Helm renders them).

See docs/rendering.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sidecarlint.attribution import KUSTOMIZATION_FILES, find_kustomization, read_yaml_file
from sidecarlint.discover import real_path
from sidecarlint.rendering import Renderer, RenderSpec, helm_renderer, kustomize_renderer

CHART_FILE = "Chart.yaml"
KUSTOMIZE_NOT_RENDERED = "kustomize-not-rendered"  # LoadProblem kinds, reported by rules of these names
CHART_NOT_RENDERED = "chart-not-rendered"


@dataclass(frozen=True)
class Root:
    """A directory met in a walk that is rendered rather than read file by file."""

    tool: str  # "kustomize" or "helm"
    directory: str
    display: str


@dataclass(frozen=True)
class Renderers:
    kustomize: Renderer | None
    helm: Renderer | None

    @classmethod
    def installed(cls) -> Renderers:
        return cls(kustomize_renderer(), helm_renderer())


def root_of(directory: str, names: set[str], display: str, inside_chart: bool) -> Root | None:
    """The render root this directory is, from the names of its entries."""
    if inside_chart:  # a subchart, or anything else in a chart: Helm renders it with the chart
        return None
    if CHART_FILE in names:
        return Root("helm", directory, display)
    if any(name in names for name in KUSTOMIZATION_FILES):
        return Root("kustomize", directory, display)
    return None


def resolve(entries: Sequence, renderers: Renderers, helm_values: Sequence[str], make_source) -> list:
    """`entries` (Sources and Roots, in walk order) to Sources: roots rendered or noted,
    files that a rendered root covers left out. `make_source(display, path, **fields)`."""
    roots = [entry for entry in entries if isinstance(entry, Root)]
    kustomize_roots = _unreferenced([r for r in roots if r.tool == "kustomize"])
    rendered, notes, covered_files, covered_dirs = {}, {}, set(), []
    for root in roots:
        if root.tool == "kustomize" and root not in kustomize_roots:
            continue
        renderer = renderers.kustomize if root.tool == "kustomize" else renderers.helm
        if renderer is None:
            notes.update(_note(root))
            continue
        values = tuple(helm_values) if root.tool == "helm" else ()
        rendered[root] = make_source(root.display, root.directory, render=RenderSpec(root.tool, root.directory, renderer, values))
        covered_dirs.append(_real(root.directory))
        if root.tool == "kustomize":
            covered_files |= kustomization_inputs(Path(root.directory))[1]
    sources = []
    for entry in entries:
        if isinstance(entry, Root):
            if entry in rendered:
                sources.append(rendered[entry])
            continue
        covered = covered_files or covered_dirs or notes  # else no path needs resolving
        real = _real(entry.path) if entry.path is not None and covered else None
        if real is not None and (real in covered_files or _under_any(real, covered_dirs)):
            continue
        if real is not None and real in notes:
            entry = replace(entry, note=notes.pop(real))
        sources.append(entry)
    # A note whose file the walk did not yield (`Kustomization` has no .yaml suffix).
    sources.extend(make_source(_display_of(path), path, note=note) for path, note in notes.items())
    return sources


def _note(root: Root) -> dict[str, tuple[str, str]]:
    if root.tool == "helm":
        message = (
            f"the Helm chart {root.display} was not rendered, as helm is not installed: its templates/ were skipped, "
            "as they are not YAML until Helm renders them"
        )
        return {_real(os.path.join(root.directory, CHART_FILE)): (CHART_NOT_RENDERED, message)}
    kustomization = find_kustomization(Path(root.directory))
    if kustomization is None:
        return {}
    message = (
        f"the kustomization {root.display} was not rendered, as neither kubectl nor kustomize is installed: "
        "its YAML files were linted one by one, without its bases and patches applied"
    )
    return {_real(str(kustomization)): (KUSTOMIZE_NOT_RENDERED, message)}


def _unreferenced(roots: list[Root]) -> list[Root]:
    """The kustomizations that no other kustomization of the run uses."""
    used: set[str] = set()
    for root in roots:
        used |= {d for d in kustomization_inputs(Path(root.directory))[0] if d != _real(root.directory)}
    kept = [root for root in roots if _real(root.directory) not in used]
    return kept or roots[:1]  # a cycle (which kustomize refuses): render one, to report why


def kustomization_inputs(directory: Path) -> tuple[set[str], set[str]]:
    """The kustomization directories (this one included) and the files that rendering
    `directory` reads, through its resources, bases, components and patches; real paths."""
    directories: set[str] = set()
    files: set[str] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        kustomization = find_kustomization(current)
        if kustomization is None or _real(str(current)) in directories:
            continue
        directories.add(_real(str(current)))
        files.add(_real(str(kustomization)))
        data = read_yaml_file(kustomization)
        for entry in _referenced_paths(data) if isinstance(data, Mapping) else ():
            path = current / entry
            if path.is_dir():
                pending.append(path)
            elif path.is_file():
                files.add(_real(str(path)))
    return directories, files


def _referenced_paths(data: Mapping) -> Iterable[str]:
    for key in ("resources", "bases", "components", "crds", "patchesStrategicMerge"):
        yield from _strings(data.get(key))
    for key in ("patches", "patchesJson6902"):
        for patch in data.get(key) or () if isinstance(data.get(key), list) else ():
            if isinstance(patch, Mapping) and isinstance(patch.get("path"), str):
                yield patch["path"]


def _strings(value: Any) -> list[str]:
    # A URL (a remote base) is no local path; `Path` would only fail to find it.
    return [item for item in value if isinstance(item, str) and "://" not in item] if isinstance(value, list) else []


def _real(path: str) -> str:
    return real_path(path)


def _under_any(path: str, directories: list[str]) -> bool:
    return any(path.startswith(directory.rstrip(os.sep) + os.sep) for directory in directories)


def _display_of(path: str) -> str:
    from sidecarlint.discover import display_path

    return display_path(path)
