"""The catalogue of known sidecars: which image or container name is which kind of helper.

The entries are data (`sidecarlint/data/sidecars.yaml`), registered through the
`sidecarlint_sidecars` hook like any plugin's; this module only matches images to them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources


from sidecarlint.hookspecs import hookimpl
from sidecarlint.yamlio import read_yaml

KINDS = (
    "mesh-proxy",
    "db-proxy",
    "auth-proxy",
    "log-shipper",
    "secrets-agent",
    "config-sync",
    "metrics",
    "other-proxy",
)


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    kind: str
    images: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping) -> CatalogueEntry:
        entry = cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            images=tuple(str(image).lower() for image in data.get("images") or ()),
            names=tuple(str(name) for name in data.get("names") or ()),
        )
        if entry.kind not in KINDS:
            raise ValueError(f"sidecar {entry.name!r}: unknown kind {entry.kind!r}")
        return entry


def image_repository(image: str) -> str:
    """`registry:5000/team/app:1.2@sha256:...` -> `registry:5000/team/app`, lowercased."""
    repository = image.strip().lower().split("@", 1)[0]
    last_slash = repository.rfind("/")
    colon = repository.rfind(":")
    if colon > last_slash:  # a colon after the last slash is a tag, not a registry port
        repository = repository[:colon]
    return repository


# Real image paths have a handful of components; an `image` of a million slashes must not
# make a million suffixes of a million characters each (the memory grows as the square).
_MAX_SUFFIXES = 8


def _path_suffixes(repository: str) -> list[str]:
    """Every suffix of the repository that starts after a `/`, the whole of it first (for a
    path of more than _MAX_SUFFIXES components, the whole and the shortest ones only)."""
    parts = repository.split("/")
    if parts[0] in ("docker.io", "index.docker.io") and len(parts) > 1:
        parts = parts[1:]
    if parts[0] == "library" and len(parts) > 1:
        parts = parts[1:]
    starts = range(len(parts))
    if len(parts) > _MAX_SUFFIXES:
        starts = [0, *range(len(parts) - _MAX_SUFFIXES + 1, len(parts))]
    return ["/".join(parts[i:]) for i in starts]


_GLOB_SPECIAL = frozenset("*?[")
# `Catalogue.identify` remembers the entries of up to _MEMO_SIZE image repositories of up
# to _MEMO_REPOSITORY_LENGTH characters (real ones are far shorter).
_MEMO_SIZE = 4096
_MEMO_REPOSITORY_LENGTH = 256


class Catalogue:
    def __init__(self, entries: Iterable[CatalogueEntry]):
        self.entries = tuple(entries)
        self._by_name = {name: entry for entry in self.entries for name in entry.names}
        # Most globs are literal paths (`istio/proxyv2`): a literal glob matches a suffix
        # exactly when it equals it, so those are looked up in a dict, by their position in
        # the catalogue (the first entry that matches wins), and only the globs with
        # wildcards are matched as regular expressions.
        self._literal: dict[str, int] = {}
        self._wildcards: list[tuple[int, re.Pattern[str]]] = []
        prefixes: list[str] = []  # of the wildcard globs: what a suffix must start with
        self._image_entries: list[CatalogueEntry] = []
        for entry in self.entries:
            for pattern in entry.images:
                position = len(self._image_entries)
                self._image_entries.append(entry)
                if _GLOB_SPECIAL.isdisjoint(pattern):
                    self._literal.setdefault(pattern, position)
                else:
                    self._wildcards.append((position, re.compile(fnmatch.translate(pattern))))
                    prefixes.append(re.split(r"[*?\[]", pattern, maxsplit=1)[0])
        self._wildcard_prefixes = tuple(prefixes)
        self._repository_memo: dict[str, CatalogueEntry | None] = {}

    def identify(self, image: object, name: object) -> CatalogueEntry | None:
        """The entry for a container, by its image first, then by its name."""
        if isinstance(image, str) and image:
            entry = self._by_image(image)
            if entry is not None:
                return entry
        if isinstance(name, str):
            return self._by_name.get(name)
        return None

    def _by_image(self, image: str) -> CatalogueEntry | None:
        """The entry whose glob matches the image's repository, remembered by repository: a
        run meets the same few in thousands of pods, with many tags. The memo is emptied when
        full, and keeps only short repositories, so that no file can make it grow without bound."""
        repository = image_repository(image)
        try:
            return self._repository_memo[repository]
        except KeyError:
            pass
        entry = self._match_repository(repository)
        if len(repository) <= _MEMO_REPOSITORY_LENGTH:
            if len(self._repository_memo) >= _MEMO_SIZE:
                self._repository_memo.clear()
            self._repository_memo[repository] = entry
        return entry

    def _match_repository(self, repository: str) -> CatalogueEntry | None:
        suffixes = _path_suffixes(repository)
        unmatched = len(self._image_entries)
        first = min([self._literal.get(suffix, unmatched) for suffix in suffixes])
        # A glob matches only a suffix that starts with the literal text before its first
        # wildcard: most images have no such suffix, and skip the regular expressions.
        suffixes = [suffix for suffix in suffixes if suffix.startswith(self._wildcard_prefixes)]
        if suffixes:
            first = self._first_wildcard(suffixes, before=first)
        return self._image_entries[first] if first < unmatched else None

    def _first_wildcard(self, suffixes: list[str], before: int) -> int:
        """The position of the first wildcard glob that matches a suffix, if it is before `before`."""
        for position, pattern in self._wildcards:
            if position > before:
                break  # a literal glob earlier in the catalogue has matched
            if any(pattern.match(suffix) for suffix in suffixes):
                return position
        return before


def builtin_entries() -> list[CatalogueEntry]:
    text = resources.files("sidecarlint").joinpath("data/sidecars.yaml").read_text("utf-8")
    return [CatalogueEntry.from_mapping(item) for item in read_yaml(text) or ()]


def load_builtin_catalogue() -> Catalogue:
    return Catalogue(builtin_entries())


@hookimpl
def sidecarlint_sidecars() -> list[CatalogueEntry]:
    return builtin_entries()
