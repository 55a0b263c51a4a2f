"""The evidence that one container depends on another."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecarlint.dependencies import (
    _ADDRESS_FLAG,
    _LOCAL_HOST_ONLY,
    _PORT_FLAG,
    _TCP_PORT,
    _TRAILING_PORT,
    _flag_ports,
    _is_local_host_alone,
    listening_ports,
    local_connections,
)
from sidecarlint.pods import Container, Role


def container(**spec) -> Container:
    return Container(spec.get("name", "c"), Role.APP, ("spec", "containers", 0), spec)


@pytest.mark.parametrize(
    "spec, ports",
    [
        ({"ports": [{"containerPort": 8080}, {"containerPort": "x"}, {"containerPort": True}]}, {8080}),
        ({"args": ["--port=5432"]}, {5432}),
        ({"args": ["--port", "5432"]}, {5432}),
        ({"args": ["--http-port=9801"]}, {9801}),
        ({"args": ["--http-address=0.0.0.0:4180"]}, {4180}),
        ({"args": ["-listen", ":8080"]}, {8080}),
        ({"args": ["--bind-address", "127.0.0.1:8443"]}, {8443}),
        ({"args": ["-instances=project:region:db=tcp:5432"]}, {5432}),  # cloud-sql-proxy v1
        ({"args": ["-instances=p:r:a=tcp:0.0.0.0:3306,p:r:b=tcp:5432"]}, {3306, 5432}),
        ({"command": ["sh", "-c", "exec proxy --port 7000 --verbose"]}, {7000}),
        ({"args": ["--port-range=abc", "--import=x"]}, set()),
        ({"args": ["--upstream=http://127.0.0.1:8080"]}, set()),  # where it connects, not where it listens
    ],
)
def test_listening_ports(spec, ports):
    assert set(listening_ports(container(**spec))) == ports


@pytest.mark.parametrize(
    "spec, ports",
    [
        ({"env": [{"name": "DATABASE_URL", "value": "postgres://u:p@127.0.0.1:5432/db"}]}, [5432]),
        ({"env": [{"name": "REDIS", "value": "localhost:6379"}]}, [6379]),
        ({"env": [{"name": "API", "value": "http://[::1]:9000/v1"}]}, [9000]),
        ({"env": [{"name": "API", "value": "http://localhost/health"}]}, [80]),
        ({"env": [{"name": "API", "value": "https://localhost"}]}, [443]),
        ({"env": [{"name": "HOST", "value": "127.0.0.1"}, {"name": "DB_PORT", "value": "5432"}]}, [5432]),
        ({"args": ["--db=postgres://localhost:6432/app"]}, [6432]),
        ({"command": ["sh", "-c", "wget -qO- http://localhost:80 | head"]}, [80]),
        ({"env": [{"name": "HOST", "value": "db.internal:5432"}]}, []),
        ({"env": [{"name": "HOST", "value": "mylocalhost:5432"}]}, []),
        ({"env": [{"name": "HOST", "value": "localhost.example.com:5432"}]}, []),
        ({"env": [{"name": "PORT", "value": "8080"}]}, []),  # a port alone says nothing about localhost
        ({"env": [{"name": "X", "value": "localhost:99999"}]}, []),
    ],
)
def test_local_connections(spec, ports):
    assert [port for port, _ in local_connections(container(**spec))] == ports


def test_evidence_paths_point_at_the_value():
    found = local_connections(container(env=[{"name": "A", "value": "x"}, {"name": "B", "value": "localhost:1"}]))
    assert found == [(1, ("spec", "containers", 0, "env", 1, "value"))]


@pytest.mark.parametrize(
    "spec, ports",
    [
        ({"env": [{"name": "DB", "value": "LOCALHOST:5432"}]}, [5432]),  # any case
        ({"env": [{"name": "DB", "value": "tcp://LocalHost:5432"}]}, [5432]),
        ({"env": [{"name": "HOST", "value": "::1"}, {"name": "DB_PORT", "value": "5432"}]}, [5432]),
        ({"env": [{"name": "HOST", "value": " [::1] "}, {"name": "DB_PORT", "value": "5432"}]}, [5432]),
        ({"env": [{"name": "HOST", "value": "::10"}, {"name": "DB_PORT", "value": "5432"}]}, []),
        # IGNORECASE takes the long s for an s: the host alone is found, as before the
        # substring test that skips ASCII text without a local host.
        ({"env": [{"name": "HOST", "value": "localho\u017ft"}, {"name": "DB_PORT", "value": "5432"}]}, [5432]),
        ({"env": [{"name": "HOST", "value": "caf\u00e9"}, {"name": "DB_PORT", "value": "5432"}]}, []),
        ({"args": ["--upstream=http://127.0.0.1:8080", "--x=héllo"]}, [8080]),
    ],
)
def test_local_connections_case_and_unicode(spec, ports):
    assert [port for port, _ in local_connections(container(**spec))] == ports


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="-tcpTCP:=,.0123456789portaddrbindlisten xX\u212a", max_size=20), st.sampled_from(["", "5432", ":80"]))
def test_words_that_are_no_flag_and_no_tcp_address_give_no_port(word, following):
    """listening_ports skips such words without trying _flag_ports' patterns on them."""
    if not word.startswith("-") and "tcp:" not in word:
        assert list(_flag_ports(word, following)) == []


def _flag_ports_by_patterns(word: str, following: str) -> list[int]:
    """_flag_ports as the plain reading of its patterns, every one tried on every word."""
    found = []
    if match := _PORT_FLAG.match(word):
        value = match["port"] or (following if following.isdigit() else None)
        if value:
            found.append(int(value))
    elif match := _ADDRESS_FLAG.match(word):
        value = match["value"] if match["value"] is not None else following
        if port := _TRAILING_PORT.search(value or ""):
            found.append(int(port["port"]))
    return found + [int(match["port"]) for match in _TCP_PORT.finditer(word)]


# Letters of the flags' words in both cases, and letters that IGNORECASE folds into them
# (the long s, the Kelvin sign, the dotless i): the substring tests must never skip a match.
FLAG_TEXT = st.text(alphabet="-=:,.0123456789 portaddrbindlistenPORTADDRBINDLISTENtcp\u017f\u212a\u0131", max_size=24)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(FLAG_TEXT, st.sampled_from(["--port=5432", "--PORT", "-listen", "--bind-addre\u017fs=:80", "--Port=1"])), st.sampled_from(["", "5432", ":80", "0.0.0.0:443"]))
def test_flag_ports_match_the_patterns(word, following):
    assert list(_flag_ports(word, following)) == _flag_ports_by_patterns(word, following)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.text(alphabet="localhstLOCALHST127.0:[]1 \t\n\u017f\u212a\u0131", max_size=14),
    st.sampled_from(["localhost", " LocalHost\n", "127.0.0.1", "[::1]", "::1", "localho\u017ft", "::10", "localhost."]),
))
def test_local_host_alone_matches_the_pattern(text):
    assert _is_local_host_alone(text) == (_LOCAL_HOST_ONLY.match(text.strip()) is not None)
