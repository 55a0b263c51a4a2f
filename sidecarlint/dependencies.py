"""Which container needs which: the evidence in a manifest that one container depends on another.

A container *depends on* another when the manifest shows it, never on a guess:

- **by address**: its env values, command or args mention `localhost`, `127.0.0.1` or
  `::1` with a port that the other container declares or listens on (its `ports`, or a
  port flag in its args such as `--port=5432`, `--http-address=0.0.0.0:4180`,
  `-listen :8080`, cloud-sql-proxy's `tcp:5432`);
- **by kind**, for app containers only: the other is a helper the app needs from its first
  request: a mesh proxy or database proxy, an auth proxy in front of the app (its upstream
  is one of the app's ports on localhost), or a secrets agent that shares a volume with it.

Rules that judge intent use this module and stay quiet when it finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sidecarlint.pods import Container, PodView, Role

_LOCAL_HOST = r"(?:localhost|127\.0\.0\.1|\[::1\])"
# Scheme and user info are bounded, and the flags' "port" / "addr" words found by a
# lookahead, so that a value of megabytes is searched in linear time.
_LOCAL_ADDRESS = re.compile(
    rf"(?:(?P<scheme>[a-z][a-z0-9+.-]{{0,31}})://(?:[^@/\s]{{0,255}}@)?)?(?<![\w.-]){_LOCAL_HOST}(?::(?P<port>\d{{1,5}}))?(?![\w.-])",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_LOCAL_HOST_ONLY = re.compile(rf"^(?:{_LOCAL_HOST}|::1)$", re.IGNORECASE)
_PORT_FLAG = re.compile(r"^--?(?=[a-z0-9.-]*port)[a-z0-9.-]*(?:=(?P<port>\d{1,5}))?$", re.IGNORECASE)
_ADDRESS_FLAG = re.compile(
    r"^--?(?=[a-z0-9.-]*(?:addr|address|listen|bind))[a-z0-9.-]*(?:=(?P<value>\S*))?$", re.IGNORECASE
)
_TRAILING_PORT = re.compile(r":(?P<port>\d{1,5})$")
_TCP_PORT = re.compile(r"(?:^|[=,])tcp:(?:[\d.]+:)?(?P<port>\d{1,5})(?:$|,)")  # cloud-sql-proxy v1

KIND_NEEDED_FROM_START = ("mesh-proxy", "db-proxy")


@dataclass(frozen=True)
class Dependency:
    dependent: Container
    provider: Container
    reason: str  # "connects to localhost:5432, which it listens on", "a db-proxy", ...
    path: tuple  # where the evidence is in the dependent (or the provider, for kinds)


def local_connections(container: Container) -> list[tuple[int, tuple]]:
    """Ports on localhost that the container's env, command or args connect to, with where."""
    return _local_connections(container, _command_words(container))


def _local_connections(container: Container, command_words: list[tuple[str, tuple]]) -> list[tuple[int, tuple]]:
    found: list[tuple[int, tuple]] = []
    words = _env_words(container) + command_words
    if _no_local_host(words):
        return found
    for text, path in words:
        lowered = text.lower()
        if "localhost" not in lowered and "127.0.0.1" not in lowered and "[::1]" not in lowered:
            continue  # no local host in it: the search costs more than the test
        for match in _LOCAL_ADDRESS.finditer(text):
            port = match["port"] or _DEFAULT_PORTS.get((match["scheme"] or "").lower())
            if port is not None:
                found.append((int(port), path))
    # `DB_HOST=127.0.0.1` with `DB_PORT=5432`: a local host alone, a port in another variable.
    if any(_is_local_host_alone(text) for text, _ in words):
        for index, variable in container.list_of("env"):
            name, value = variable.get("name"), variable.get("value")
            if isinstance(name, str) and "PORT" in name.upper() and isinstance(value, str) and value.isdigit():
                found.append((int(value), container.field_path("env", index, "value")))
    return [(port, path) for port, path in found if 0 < port < 65536]


def _no_local_host(words: list[tuple[str, tuple]]) -> bool:
    """Whether no word can mention a local host, by one substring test over all of them.

    For ASCII text both regular expressions can match only where its lowercase holds
    `localhost`, `127.0.0.1` or `::1` (which `[::1]` holds too); text that is not ASCII is
    left to them, as IGNORECASE also folds a few other letters (`ſ` matches `s`).
    """
    text = "\n".join(word for word, _ in words)
    if not text.isascii():
        return False
    text = text.lower()
    return "localhost" not in text and "127.0.0.1" not in text and "::1" not in text


_LOCAL_HOST_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


def _is_local_host_alone(text: str) -> bool:
    """Whether the text is a local host and nothing else, blanks aside.

    ASCII text is compared as it is; other text goes to the regular expression, whose
    IGNORECASE also folds a few letters that are not ASCII (`ſ` matches `s`)."""
    text = text.strip()
    if text.isascii():
        return text.lower() in _LOCAL_HOST_NAMES
    return _LOCAL_HOST_ONLY.match(text) is not None


def listening_ports(container: Container) -> dict[int, tuple]:
    """Ports the container declares or its args say it listens on, with where."""
    return _listening_ports(container, _command_words(container))


def _listening_ports(container: Container, words: list[tuple[str, tuple]]) -> dict[int, tuple]:
    ports: dict[int, tuple] = {}
    for index, port in container.list_of("ports"):
        number = port.get("containerPort")
        if isinstance(number, int) and not isinstance(number, bool):
            ports.setdefault(number, container.field_path("ports", index, "containerPort"))
    for position, (word, path) in enumerate(words):
        if not word.startswith("-") and "tcp:" not in word:
            continue  # neither a flag nor a tcp: address: none of _flag_ports' patterns can match
        following = words[position + 1][0] if position + 1 < len(words) else ""
        for number in _flag_ports(word, following):
            ports.setdefault(number, path)
    return ports


def _flag_ports(word: str, following: str) -> Iterator[int]:
    # The flags' patterns need "port", or "addr", "listen" or "bind", in the word: for ASCII
    # text (case aside) a substring test says whether to try them (see _is_local_host_alone).
    lowered = word.lower() if word.isascii() else None
    may_be_port = lowered is None or "port" in lowered
    may_be_address = lowered is None or "addr" in lowered or "listen" in lowered or "bind" in lowered
    if may_be_port and (match := _PORT_FLAG.match(word)):
        value = match["port"] or (following if following.isdigit() else None)
        if value:
            yield int(value)
    elif may_be_address and (match := _ADDRESS_FLAG.match(word)):
        value = match["value"] if match["value"] is not None else following
        if port := _TRAILING_PORT.search(value or ""):
            yield int(port["port"])
    if "tcp:" in word:
        for match in _TCP_PORT.finditer(word):
            yield int(match["port"])


def dependencies(pod: PodView) -> list[Dependency]:
    """Every dependency the manifest shows between two containers of the pod.

    Found once per pod view and shared by the rules that ask: do not change the list.
    """
    return pod.derived(_find_dependencies)


def _find_dependencies(pod: PodView) -> list[Dependency]:
    found: list[Dependency] = []
    dependents = pod.with_role(Role.INIT, Role.SIDECAR, Role.APP, Role.HELPER)
    if len(dependents) < 2:
        return found  # no pair of containers
    candidates = pod.with_role(Role.SIDECAR, Role.HELPER, Role.APP)
    # Each container's words, ports and connections once, not once for every pair it is in.
    command_words = {id(c): _command_words(c) for c in dependents}  # candidates are dependents too
    listening = {id(c): _listening_ports(c, command_words[id(c)]) for c in candidates}
    connecting = {id(c): _local_connections(c, command_words[id(c)]) for c in dependents}
    for dependent in dependents:
        connections = connecting[id(dependent)]
        for provider in candidates:
            if provider is dependent:
                continue
            reason = _by_address(connections, provider, listening[id(provider)]) or (
                _by_kind(dependent, provider, listening[id(dependent)], connecting[id(provider)])
                if dependent.role is Role.APP
                else None
            )
            if reason is not None:
                found.append(Dependency(dependent, provider, *reason))
    return found


def _by_address(
    connections: list[tuple[int, tuple]], provider: Container, listening: dict[int, tuple]
) -> tuple[str, tuple] | None:
    for port, path in connections:
        if port in listening:
            return f"connects to localhost:{port}, where {provider.label!r} listens", path
    return None


def _by_kind(
    app: Container, provider: Container, app_listening: dict[int, tuple], provider_connections: list[tuple[int, tuple]]
) -> tuple[str, tuple] | None:
    kind = provider.sidecar.kind if provider.sidecar is not None else None
    if kind in KIND_NEEDED_FROM_START:
        return f"needs the {kind} {provider.label!r} from its first request", provider.field_path("name")
    if kind == "auth-proxy":
        if any(port in app_listening for port, _ in provider_connections):
            return f"is served through the auth proxy {provider.label!r}", provider.field_path("name")
    if kind == "secrets-agent" and _shared_volumes(app, provider):
        return f"reads files that the secrets agent {provider.label!r} renders", provider.field_path("name")
    return None


def _shared_volumes(first: Container, second: Container) -> set[str]:
    def names(container: Container) -> set[str]:
        return {m.get("name") for _, m in container.list_of("volumeMounts") if isinstance(m.get("name"), str)}

    return names(first) & names(second)


def _env_words(container: Container) -> list[tuple[str, tuple]]:
    """Env values, each with its path."""
    return [
        (variable["value"], container.field_path("env", index, "value"))
        for index, variable in container.list_of("env")
        if isinstance(variable.get("value"), str)
    ]


def _command_words(container: Container) -> list[tuple[str, tuple]]:
    words = []
    for key in ("command", "args"):
        value = container.spec.get(key)
        if isinstance(value, list):
            for index, word in enumerate(value):
                if isinstance(word, str):
                    # A shell line (`sh -c "... --port 5432 ..."`) is split into its words.
                    path = container.field_path(key, index)
                    words.extend((part, path) for part in word.split())
    return words
