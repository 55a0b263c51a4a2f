"""How a log shipper's command is read: which files a `tail` follows, which paths Fluent Bit tails."""

from __future__ import annotations

import pytest

from sidecarlint.checks.logs import fluent_bit_tail_paths, path_under, tailed_files


@pytest.mark.parametrize(
    "command, files",
    [
        (["sh", "-c", "tail -n+1 -f /var/log/1.log"], ["/var/log/1.log"]),
        (["sh", "-c", "tail -F /opt/logs.txt"], ["/opt/logs.txt"]),
        (["tail", "-F", "/a.log", "/b.log"], ["/a.log", "/b.log"]),
        (["tail", "--follow=name", "--retry", "/var/log/a.log"], ["/var/log/a.log"]),
        (["tail", "-n", "0", "-qF", "/x.log"], ["/x.log"]),
        (["/usr/bin/tail", "-s", "5", "-f", "rel.log"], ["rel.log"]),
        (["sh", "-c", 'exec tail -n 0 -F "/logs/my file.log"'], ["/logs/my file.log"]),
        (["sh", "-c", "tail -qF /a/x.log 2>&1"], ["/a/x.log"]),
        (  # the Kubernetes docs' adapter sidecar
            ["sh", "-c", "touch /var/log/app/raw.log; "
             'tail -F /var/log/app/raw.log | while read line; do echo "$line"; done'],
            ["/var/log/app/raw.log"],
        ),
        (["tail", "-f", "/dev/null"], ["/dev/null"]),  # follows, but ships nothing (judged by the caller)
    ],
)
def test_files_a_following_tail_reads(command, files):
    assert tailed_files(command) == files


@pytest.mark.parametrize(
    "command",
    [
        ["tail", "-n", "100", "/var/log/a.log"],  # prints and exits: not a shipper
        ["sh", "-c", "while true; do sleep 3600; done"],
        ["fluent-bit", "-c", "/fluent-bit/etc/fluent-bit.conf"],
        [],
    ],
)
def test_no_following_tail(command):
    assert tailed_files(command) is None


def test_fluent_bit_tail_inputs_on_the_command_line():
    command = ["fluent-bit", "-i", "tail", "-p", "path=/var/log/app/*.log,/var/log/b.log", "-p", "db=/x.db",
               "-o", "stdout", "-p", "path=/not/an/input"]
    assert fluent_bit_tail_paths(command) == ["/var/log/app/*.log", "/var/log/b.log"]
    assert fluent_bit_tail_paths(["--input=tail", "--prop=path=/x,/y"]) == ["/x", "/y"]
    assert fluent_bit_tail_paths(["-i", "cpu", "-p", "path=/x", "-o", "stdout"]) == []


@pytest.mark.parametrize(
    "path, mount, under",
    [
        ("/var/log/app/app.log", "/var/log/app", True),
        ("/var/log/app/*.log", "/var/log/app/", True),
        ("/var/log/app.log", "/var/log/app.log", True),  # a file mounted with subPath
        ("/var/log2/x.log", "/var/log", False),
        ("/var/log/nginx/access.log", "/logs", False),
        ("/var/*/x.log", "/var/log", True),  # a glob may match the mount: give it the benefit of the doubt
        ("/var", "/var/log", False),
    ],
)
def test_path_under_mount(path, mount, under):
    assert path_under(path, mount) is under
