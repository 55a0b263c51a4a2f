"""Log shippers beside an app: do they share the app's log volume, read from it, and only read?

A log shipper is a container the catalogue knows as one (Fluent Bit, Fluentd, Filebeat...)
or a container that follows a file with `tail -f`/`tail -F`, as the Kubernetes logging
docs' streaming sidecars do. Only shippers beside an app container are judged: a lone
agent, or one that mounts a hostPath, is a node-level agent reading the node's logs.
"""

from __future__ import annotations

import fnmatch
import posixpath
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from sidecarlint.checks import CheckContext, PodsWith, Related, Violation, at_least, check
from sidecarlint.pods import Container, PodView, Role

# Volume sources the kubelet always mounts read-only: no container writes logs into them.
READ_ONLY_SOURCES = ("configMap", "secret", "downwardAPI", "projected")
# Paths that a `tail -f` follows without shipping a log: `tail -f /dev/null` idles a container.
NOT_LOG_FILES = ("/dev/", "/proc/", "/sys/")
_SHELL_OPERATORS = set("|&;()<>")
_TAIL_OPTIONS_WITH_VALUE = {
    "-n", "-c", "-s", "--lines", "--bytes", "--sleep-interval", "--pid", "--max-unchanged-stats",
}
# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
RUNNING = (Role.APP, Role.HELPER, Role.SIDECAR)  # for the life of the pod: `Container.runs_alongside_app`
APP, EPHEMERAL = Role.APP, Role.EPHEMERAL


class Mount(NamedTuple):  # a tuple: cheaper to make than a frozen dataclass, and made for every mount of a shipper
    index: int
    volume: str
    path: str | None
    read_only: bool


@dataclass(frozen=True)
class Shipper:
    container: Container
    how: str  # what makes it a shipper, for messages: "Fluent Bit" or "tail -F /var/log/app.log"
    paths: tuple[str, ...] = field(default=())  # absolute files it reads, when its command says


def mounts(container: Container) -> list[Mount]:
    found = []
    for index, mount in container.list_of("volumeMounts"):
        name = mount.get("name")
        if isinstance(name, str):
            path = mount.get("mountPath")
            found.append(Mount(index, name, path if isinstance(path, str) else None, mount.get("readOnly") is True))
    return found


# shlex builds a token a character at a time, in time that grows with the square of its
# length: an item with nothing for it to do is one word, and a huge one is split on blanks.
_SHELL_SPECIAL = frozenset(" \t\n\r\x0b\x0c'\"\\#();<>|&")
_MAX_SHELL_TEXT = 8192


def _words(command_line: list[str]) -> list[str]:
    """Shell words of `command` and `args`, the `sh -c` script split as the shell would."""
    words: list[str] = []
    for item in command_line:
        if _SHELL_SPECIAL.isdisjoint(item):
            words.extend([item] if item else [])
            continue
        if len(item) > _MAX_SHELL_TEXT:
            words.extend(item.split())
            continue
        try:
            lexer = shlex.shlex(item, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words.extend(lexer)
        except ValueError:  # unbalanced quotes: fall back to blanks
            words.extend(item.split())
    return words


def _is_operator(word: str) -> bool:
    return bool(word) and set(word) <= _SHELL_OPERATORS


def _may_name_tail(command_line: list[str]) -> bool:
    """Whether some shell word of the command line can be `tail` (or end in `/tail`).

    Splitting only cuts an item into words; only quotes and backslashes, which the shell
    removes, can join letters that are apart in the item (`t'ai'l`). An item that holds
    none of them and not `tail` either cannot give such a word.
    """
    text = "\n".join(command_line)  # no word of the tests below can span the line break
    return "tail" in text or "'" in text or '"' in text or "\\" in text


def tailed_files(command_line: list[str]) -> list[str] | None:
    """The files a `tail -f`/`tail -F`/`tail --follow` in the command follows, else None."""
    if not _may_name_tail(command_line):
        return None  # the cheap test spares shlex
    return _tailed_files(_words(command_line))


def _tailed_files(words: list[str]) -> list[str] | None:
    following, files, index = False, [], 0
    while index < len(words):
        if posixpath.basename(words[index]) != "tail":
            index += 1
            continue
        # The scan goes on after the tail's operands, which are files, not commands: one
        # pass over the words, however many `tail` a hostile command repeats.
        follow, operands, index = _parse_tail(words, index + 1)
        if follow:
            following = True
            files.extend(operands)
    return files if following else None


def _parse_tail(words: list[str], index: int) -> tuple[bool, list[str], int]:
    """The options and operands of a `tail` whose words start at `index`, and where they end."""
    follow, operands, options_done = False, [], False
    while index < len(words):
        word = words[index]
        index += 1
        if _is_operator(word):
            break
        if word.isdigit() and index < len(words) and words[index][:1] in ("<", ">"):
            break  # the file descriptor of a redirection such as 2>&1
        if options_done or not word.startswith("-") or word == "-":
            operands.append(word)
        elif word == "--":
            options_done = True
        elif word.startswith("--"):
            name = word.split("=", 1)[0]
            follow = follow or name == "--follow"
            if name in _TAIL_OPTIONS_WITH_VALUE and "=" not in word:
                index += 1
        else:  # a cluster of short options such as -F, -qf, -n+1 or -n 5
            for position, letter in enumerate(word[1:], start=1):
                if letter in "fF":
                    follow = True
                elif letter in "ncs":
                    if position == len(word) - 1:
                        index += 1  # the value is the next word
                    break  # the rest of the cluster is the value
    return follow, operands, index


def fluent_bit_tail_paths(command_line: list[str]) -> list[str]:
    """`path=` properties of Fluent Bit `-i tail` inputs given on the command line."""
    return _fluent_bit_tail_paths(_words(command_line))


def _fluent_bit_tail_paths(words: list[str]) -> list[str]:
    paths, in_tail, index = [], False, 0
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else ""
        if word in ("-i", "--input"):
            in_tail, index = value == "tail", index + 2
            continue
        if word.startswith("--input="):
            in_tail = word.split("=", 1)[1] == "tail"
        elif word in ("-o", "--output", "-F", "--filter") or word.startswith(("--output=", "--filter=")):
            in_tail = False
        elif in_tail and word in ("-p", "--prop") and value.lower().startswith("path="):
            paths.extend(part.strip() for part in value.split("=", 1)[1].split(",") if part.strip())
            index += 2
            continue
        elif in_tail and word.lower().startswith("--prop=path="):
            paths.extend(part.strip() for part in word.split("=", 2)[2].split(",") if part.strip())
        index += 1
    return paths


def log_shipper(container: Container, pod: PodView) -> Shipper | None:
    """The container as a log shipper, if the catalogue or its command says it is one."""
    if container.role not in RUNNING:
        return None
    sidecar = container.sidecar
    if sidecar is not None and sidecar.kind == "log-shipper":
        words = _words(container.command_line)
        paths = [p for p in _fluent_bit_tail_paths(words) + (_tailed_files(words) or []) if _is_log_path(p)]
        return Shipper(container, sidecar.name, tuple(paths))
    if container is pod.primary:
        return None  # the pod's app itself, which tails as a way of idling
    tailed = tailed_files(container.command_line)
    if tailed is None:
        return None  # not a tail
    logs = [p for p in tailed if not p.startswith(NOT_LOG_FILES) and p != "/dev/null"]
    if not logs:
        return None  # `tail -f /dev/null` keeps a container alive; it ships nothing
    return Shipper(container, "tail -f " + " ".join(logs), tuple(p for p in logs if _is_log_path(p)))


def _is_log_path(path: str) -> bool:
    return path.startswith("/") and not path.startswith(NOT_LOG_FILES)


# The pods both log-shipper rules concern: a shipper (a container that runs beside the
# app: known to the catalogue, or running `tail`) and an app that is not the shipper.
BESIDE_AN_APP = PodsWith(at_least(2, *RUNNING), at_least(1, APP))


def shippers_beside_an_app(pod: PodView) -> list[Shipper]:
    """Log shippers that run beside an app container, node-level agents left out.

    Found once per pod view and shared by the log-shipper rules: do not change the list.
    """
    return pod.derived(_find_shippers_beside_an_app)


def _find_shippers_beside_an_app(pod: PodView) -> list[Shipper]:
    shippers = []
    for container in pod.containers:
        shipper = log_shipper(container, pod)
        if shipper is not None:
            shippers.append(shipper)
    if not shippers:
        return shippers
    shipping = {id(s.container) for s in shippers}
    apps = [c for c in pod.with_role(APP) if id(c) not in shipping]
    if not apps:
        return []  # a lone agent (a DaemonSet's Fluent Bit) has no app beside it
    known = pod_mounts(pod)
    host_paths = {name for name, volume in known.volumes.items() if "hostPath" in volume}
    # A shipper that mounts a hostPath reads the node's files: the node-agent pattern, not a sidecar's.
    return [s for s in shippers if not any(m.volume in host_paths for m in known.of(s.container))]


def _volumes(pod: PodView) -> dict[str, Mapping]:
    volumes: dict[str, Mapping] = {}
    for _, volume in pod.volumes:
        name = volume.get("name")
        if isinstance(name, str):
            volumes.setdefault(name, volume)
    return volumes


class PodMounts:
    """Who mounts what in a pod: read once per pod view, shared by both log-shipper rules."""

    def __init__(self, pod: PodView):
        self.volumes = _volumes(pod)  # the pod's volumes by name (the first of each name)
        self.users = _volume_users(pod)  # by volume: the containers mounting it (not ephemeral), in order
        self._mounts: dict[int, list[Mount]] = {}  # by container (its id), for those asked about

    def of(self, container: Container) -> list[Mount]:
        """The container's mounts, read on first use: most containers are never asked about."""
        try:
            return self._mounts[id(container)]
        except KeyError:
            found = self._mounts[id(container)] = mounts(container)
            return found


def pod_mounts(pod: PodView) -> PodMounts:
    """The pod's mounts, found once per pod view: do not change them."""
    return pod.derived(PodMounts)


def _volume_users(pod: PodView) -> dict[str, list[Container]]:
    users: dict[str, list[Container]] = {}
    for container in pod.containers:
        if container.role is EPHEMERAL:
            continue
        for _, mount in container.list_of("volumeMounts"):
            name = mount.get("name")
            if isinstance(name, str):  # what `mounts` reads as a mount
                mounting = users.setdefault(name, [])
                if not mounting or mounting[-1] is not container:  # a container mounting it twice is one user
                    mounting.append(container)
    return users


def shared_mounts(shipper: Shipper, pod: PodView) -> dict[str, list[Container]]:
    """Volumes (that can hold logs) the shipper mounts along with other containers, and who."""
    known = pod_mounts(pod)
    shared: dict[str, list[Container]] = {}
    for mount in known.of(shipper.container):
        volume = known.volumes.get(mount.volume, {})
        if any(source in volume for source in READ_ONLY_SOURCES):
            continue
        others = [other for other in known.users.get(mount.volume, ()) if other is not shipper.container]
        if others:
            shared.setdefault(mount.volume, others)
    return shared


def _components(path: str) -> list[str]:
    return [part for part in posixpath.normpath(path).split("/") if part]


_GLOB_CHARACTERS = frozenset("*?[")


def path_under(path: str, mount_path: str) -> bool:
    """Whether `path` (which may hold globs) lies in or at `mount_path`."""
    file_parts, mount_parts = _components(path), _components(mount_path)
    if len(file_parts) < len(mount_parts):
        return False
    for file_part, mount_part in zip(file_parts, mount_parts):
        if not _component_matches(mount_part, file_part):
            return False
    return True


def _component_matches(name: str, pattern: str) -> bool:
    """`fnmatch.fnmatchcase(name, pattern)`; a pattern without glob characters matches only
    itself, which needs no regular expression built."""
    if _GLOB_CHARACTERS.isdisjoint(pattern):
        return name == pattern
    return fnmatch.fnmatchcase(name, pattern)


def _holding_volume(path: str, mounted: list[Mount]) -> set[str]:
    """The volumes a path lies in: those of the deepest of the mounts that contain it."""
    holding = [m for m in mounted if m.path is not None and path_under(path, m.path)]
    if not holding:
        return set()
    deepest = max(len(_components(m.path)) for m in holding)
    return {m.volume for m in holding if len(_components(m.path)) == deepest}


def _names(containers: list[Container]) -> str:
    labels = [repr(c.label) for c in containers]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


@check(
    "log-shipper-shared-volume",
    pods=BESIDE_AN_APP,
)
def log_shipper_shared_volume(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for shipper in shippers_beside_an_app(pod):
        container = shipper.container
        shared = shared_mounts(shipper, pod)
        if not shared:
            if shipper.paths or _is_tail(shipper):
                reads = ", ".join(shipper.paths) if shipper.paths else f"a file ({shipper.how})"
                yield Violation(
                    container.field_path("name"),
                    f"log shipper {container.label!r} follows {reads} but shares no volume with any "
                    "other container: that is a file in its own filesystem, which the app never "
                    "writes to, so it ships nothing",
                    container.name,
                )
                continue
            if container.list_of("ports"):
                continue  # it listens on a port: the app may send it logs over the network
            written = _app_log_mounts(shipper, pod)
            if written:
                other, mount = written[0]
                yield Violation(
                    container.field_path("name"),
                    f"log shipper {container.label!r} shares no volume with any other container, while "
                    f"{other.label!r} writes to volume {mount.volume!r} at {mount.path}: the shipper "
                    "cannot read those files, so it ships none of them",
                    container.name,
                    _related_mount(other, mount.volume, pod),
                )
            continue
        mounted = pod_mounts(pod).of(container)
        outside = [p for p in shipper.paths if not _holding_volume(p, mounted) & shared.keys()]
        if not outside:
            continue
        where = ", ".join(f"{name!r} at {m.path}" for name in shared for m in mounted if m.volume == name and m.path)
        yield Violation(
            container.field_path("name"),
            f"log shipper {container.label!r} reads {', '.join(outside)}, which "
            f"{'lies' if len(outside) == 1 else 'lie'} under none of the volumes it shares with other "
            f"containers ({where}): it follows a file in its own filesystem, which the app never writes to",
            container.name,
        )


def _app_log_mounts(shipper: Shipper, pod: PodView) -> list[tuple[Container, Mount]]:
    """Writable mounts of other running containers at a log path (a directory named *log*)."""
    known = pod_mounts(pod)
    found = []
    for other in pod.with_role(*RUNNING):
        if other is shipper.container:
            continue
        for mount in known.of(other):
            volume = known.volumes.get(mount.volume, {})
            if mount.read_only or mount.path is None or any(s in volume for s in READ_ONLY_SOURCES):
                continue
            if any("log" in part.lower() for part in _components(mount.path)):
                found.append((other, mount))
    return found


def _is_tail(shipper: Shipper) -> bool:
    return shipper.how.startswith("tail ")


@check(
    "log-shipper-writable-mount",
    pods=BESIDE_AN_APP,
)
def log_shipper_writable_mount(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for shipper in shippers_beside_an_app(pod):
        container = shipper.container
        shared = shared_mounts(shipper, pod)
        for mount in pod_mounts(pod).of(container):
            if mount.volume not in shared or mount.read_only:
                continue
            others = shared[mount.volume]
            first = others[0]
            yield Violation(
                container.field_path("volumeMounts", mount.index, "name"),
                f"log shipper {container.label!r} mounts the volume {mount.volume!r} that it shares with "
                f"{_names(others)} read-write: it only needs to read the logs, and can now truncate "
                "or delete them",
                container.name,
                _related_mount(first, mount.volume, pod),
            )


def _related_mount(other: Container, volume: str, pod: PodView) -> tuple[Related, ...]:
    for mount in pod_mounts(pod).of(other):
        if mount.volume == volume:
            return (
                Related(
                    other.field_path("volumeMounts", mount.index, "name"),
                    f"container {other.label!r} mounts {volume!r} here",
                ),
            )
    return ()
