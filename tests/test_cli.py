"""The command line as a user runs it: exit codes, formats, paths, options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sidecarlint.cli import main

ROOT = Path(__file__).resolve().parent.parent

BROKEN_MOUNT = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:1.27.2
      volumeMounts:
        - name: logs
          mountPath: /var/log/nginx
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {memory: 64Mi}
      readinessProbe:
        httpGet: {path: /, port: 80}
"""

UNPINNED = BROKEN_MOUNT.replace("nginx:1.27.2", "nginx").replace(
    "      volumeMounts:\n        - name: logs\n          mountPath: /var/log/nginx\n", ""
)

CLEAN = UNPINNED.replace("image: nginx", "image: nginx:1.27.2")


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_run_exits_0(tree, capsys):
    write(tree / "pod.yaml", CLEAN)
    assert main(["pod.yaml"]) == 0
    assert capsys.readouterr().out == "No problems found (1 file checked).\n"


def test_error_finding_exits_1_with_position(tree, capsys):
    write(tree / "pod.yaml", BROKEN_MOUNT)
    assert main(["pod.yaml"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "pod.yaml:10:17: error [volume-mount-undefined] volume mount 'logs' names a volume that "
        "the pod does not define; declare it under the pod's volumes (Pod/web, container web)"
    )
    assert out[-1] == "Found 1 problem (1 error) in 1 of 1 file checked."


def test_fail_on_threshold(tree):
    write(tree / "pod.yaml", UNPINNED)  # one warning
    assert main(["pod.yaml"]) == 1
    assert main(["pod.yaml", "--fail-on", "error"]) == 0
    assert main(["pod.yaml", "--fail-on", "note"]) == 1


@pytest.mark.parametrize("directory", [".", "team", "./team/", "team/../other", "{cwd}", "{cwd}/team", "{cwd}/..", "/"])
def test_a_walked_file_is_named_as_display_path_names_it(tmp_path, monkeypatch, directory):
    """Walks name their files from each directory's display, worked out once."""
    from sidecarlint.discover import _display_in_walk, display_path

    monkeypatch.chdir(tmp_path)
    path = os.path.join(directory.format(cwd=tmp_path), "app.yaml")
    assert _display_in_walk(path) == display_path(path)


def test_default_path_is_current_directory_and_walk_rules(tree, capsys):
    write(tree / "a" / "pod.yaml", BROKEN_MOUNT)
    write(tree / "b" / "pod.yml", BROKEN_MOUNT)
    write(tree / "notes.txt", BROKEN_MOUNT)  # not a manifest suffix: skipped in a walk
    write(tree / ".hidden" / "pod.yaml", BROKEN_MOUNT)  # hidden directory: skipped
    write(tree / ".pod.yaml", BROKEN_MOUNT)  # hidden file: skipped
    assert main([]) == 1
    out = capsys.readouterr().out
    paths = [line.split(":")[0] for line in out.splitlines()[:-1]]
    assert paths == [os.path.join("a", "pod.yaml"), os.path.join("b", "pod.yml")]
    assert out.splitlines()[-1].endswith("in 2 of 2 files checked.")


def test_named_file_is_read_whatever_its_suffix(tree, capsys):
    write(tree / "pod.txt", BROKEN_MOUNT)
    assert main(["pod.txt"]) == 1
    assert capsys.readouterr().out.startswith("pod.txt:10:17: error [volume-mount-undefined]")


def test_missing_path_is_a_usage_error(tree, capsys):
    assert main(["nope.yaml"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "sidecarlint: error: nope.yaml: no such file or directory\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--fail-on", "fatal"], "argument --fail-on: invalid choice"),
        (["--kubernetes-version", "latest"], "--kubernetes-version: 'latest' is not a Kubernetes version"),
        (["--format", "xml"], "--format: unknown format 'xml'; choose from "),
        (["--select", "port-conflcit"], "--select: unknown rule 'port-conflcit' (did you mean 'port-conflict'?)"),
        (["--ignore", "nothing-like-this"], "--ignore: unknown rule 'nothing-like-this'"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tree, capsys, argv, message):
    write(tree / "pod.yaml", CLEAN)
    assert main(["pod.yaml", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("sidecarlint: error: ")
    assert message in err


def test_select_and_ignore(tree, capsys):
    write(tree / "pod.yaml", BROKEN_MOUNT.replace("nginx:1.27.2", "nginx"))
    main(["pod.yaml", "--format", "json"])
    assert {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]} == {
        "volume-mount-undefined",
        "image-tag-unpinned",
    }
    main(["pod.yaml", "--format", "json", "--select", "image-tag-unpinned"])
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["image-tag-unpinned"]
    main(["pod.yaml", "--format", "json", "--ignore", "image-tag-unpinned,port-conflict"])
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["volume-mount-undefined"]


def test_kubernetes_version_decides_version_bound_rules(tree):
    manifest = CLEAN.replace(
        "  containers:\n",
        "  initContainers:\n"
        "    - name: migrate\n"
        "      image: busybox:1.36\n"
        "      restartPolicy: OnFailure\n"
        "      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 16Mi}}\n"
        "  containers:\n",
    )
    write(tree / "pod.yaml", manifest)
    assert main(["pod.yaml", "--kubernetes-version", "1.33"]) == 1
    assert main(["pod.yaml"]) == 1  # 1.34: the field is silently dropped
    assert main(["pod.yaml", "--kubernetes-version", "1.35"]) == 0  # valid from 1.35


def test_json_report(tree, capsys):
    write(tree / "pod.yaml", BROKEN_MOUNT)
    assert main(["pod.yaml", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == 1
    assert report["tool"]["name"] == "sidecarlint"
    assert report["summary"] == {"files": 1, "findings": 1, "suppressed": 0, "note": 0, "warning": 0, "error": 1}
    assert report["suppressed"] == []
    (finding,) = report["findings"]
    assert finding == {
        "rule": "volume-mount-undefined",
        "severity": "error",
        "message": finding["message"],
        "path": "pod.yaml",
        "line": 10,
        "column": 17,
        "end_line": 10,
        "end_column": 21,
        "object": {"kind": "Pod", "name": "web", "namespace": None},
        "container": "web",
        "document": 0,
        "field_path": ["spec", "containers", 0, "volumeMounts", 0, "name"],
        "related": [],
        "rendered": None,
    }


def test_stdin(tree, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BROKEN_MOUNT.encode())))
    assert main(["-"]) == 1
    assert capsys.readouterr().out.startswith("<stdin>:10:17: error [volume-mount-undefined]")


def test_output_file_is_written_whole(tree, capsys):
    write(tree / "pod.yaml", BROKEN_MOUNT)
    write(tree / "report.json", "old report")
    assert main(["pod.yaml", "--format", "json", "--output", "report.json"]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads((tree / "report.json").read_text())["summary"]["error"] == 1
    assert [p.name for p in tree.iterdir() if p.name.startswith(".sidecarlint-")] == []


def test_output_into_missing_directory_is_a_usage_error(tree, capsys):
    write(tree / "pod.yaml", CLEAN)
    assert main(["pod.yaml", "--output", "no/such/dir/report.txt"]) == 2
    assert "--output: the directory" in capsys.readouterr().err


def test_output_to_special_file_is_written_not_replaced(tree):
    write(tree / "pod.yaml", CLEAN)
    assert main(["pod.yaml", "--output", os.devnull]) == 0
    assert Path(os.devnull).exists() and not Path(os.devnull).is_file()


def test_colour_only_when_asked_or_on_a_terminal(tree, capsys, monkeypatch):
    write(tree / "pod.yaml", BROKEN_MOUNT)
    main(["pod.yaml"])
    assert "\033[" not in capsys.readouterr().out  # captured output is not a terminal
    main(["pod.yaml", "--color", "always"])
    assert "\033[31merror\033[0m" in capsys.readouterr().out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    main(["pod.yaml"])
    assert "\033[" not in capsys.readouterr().out


def test_invalid_yaml_does_not_stop_the_run(tree, capsys):
    write(tree / "a-broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    write(tree / "b-pod.yaml", BROKEN_MOUNT)
    assert main(["."]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("a-broken.yaml:4:1: error [invalid-yaml] invalid YAML:")
    assert lines[1].startswith("b-pod.yaml:10:17: error [volume-mount-undefined]")


def test_unreadable_file_is_reported_and_the_run_goes_on(tree, capsys):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads any file")
    locked = write(tree / "locked.yaml", CLEAN)
    locked.chmod(0)
    write(tree / "pod.yaml", BROKEN_MOUNT)
    try:
        assert main(["."]) == 1
    finally:
        locked.chmod(0o644)
    out = capsys.readouterr().out
    assert "locked.yaml:1:1: error [file-unreadable] cannot read the file: Permission denied" in out
    assert "pod.yaml:10:17: error [volume-mount-undefined]" in out


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("sidecarlint 0.")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--kubernetes-version" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli(tree):
    write(tree / "pod.yaml", BROKEN_MOUNT)
    completed = subprocess.run(
        [sys.executable, "-m", "sidecarlint", "pod.yaml"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith("pod.yaml:10:17: error [volume-mount-undefined]")
    assert completed.stderr == ""


def test_empty_and_non_kubernetes_files_are_skipped_silently(tree, capsys):
    write(tree / "empty.yaml", "")
    write(tree / "comments.yaml", "# nothing here\n")
    write(tree / "values.yaml", "replicaCount: 2\nimage:\n  repository: nginx\n")
    write(tree / "service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n")
    assert main(["."]) == 0
    assert capsys.readouterr().out == "No problems found (4 files checked).\n"


def test_duplicate_key_is_reported_at_the_second_key(tree, capsys):
    write(tree / "pod.yaml", CLEAN.replace("      image: nginx:1.27.2\n", "      image: nginx:1.27.2\n      image: nginx\n"))
    assert main(["pod.yaml"]) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith(
        "pod.yaml:9:7: error [duplicate-key] the key 'image' is given twice in this mapping"
    )


@pytest.mark.parametrize("output_format, streams", [("text", True), ("github", True), ("json", False)])
def test_text_and_annotations_are_written_a_file_at_a_time(tmp_path, monkeypatch, output_format, streams):
    """A file's findings are written before the next file is read, so a run never holds
    them all; JSON is one document and is written once every file is linted."""
    import io

    from sidecarlint.engine import Linter

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.yaml", BROKEN_MOUNT)
    write(tmp_path / "b.yaml", BROKEN_MOUNT)
    events: list[str] = []
    lint_source = Linter.lint_source
    monkeypatch.setattr(Linter, "lint_source", lambda self, source: events.append(f"lint {source.display}") or lint_source(self, source))

    class Recording(io.StringIO):
        def write(self, text: str) -> int:
            events.append("write")
            return super().write(text)

    monkeypatch.setattr(sys, "stdout", Recording())
    assert main(["a.yaml", "b.yaml", "--format", output_format, "--jobs", "1"]) == 1
    first_write = events.index("write")
    assert events[:first_write] == (["lint a.yaml"] if streams else ["lint a.yaml", "lint b.yaml"])
    assert "lint b.yaml" in events
