"""Rendered Helm and Kustomize output through the command line: findings at the files a
person edits, every file linted once, and a note or a finding when rendering cannot happen.

`tests/data/helm/rendered.yaml` is what `helm template shop` (helm v3.17.3) prints in
`tests/data/helm`, captured; where helm is installed, a test renders the chart again and
checks that the capture is still what helm prints, and another lints the chart through the
real helm. The other chart-directory tests put a stand-in `helm` on PATH that prints the
capture and records its arguments. The Kustomize tests run the real `kubectl kustomize`
(or `kustomize build`). Tests that need a renderer are skipped, saying so, without one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sidecarlint import rendering
from sidecarlint.cli import main
from sidecarlint.parallel import MIN_FILES_FOR_POOL

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parent.parent
needs_helm = pytest.mark.skipif(rendering.helm_renderer() is None, reason="helm is not installed, so no chart renders")
needs_kustomize = pytest.mark.skipif(
    rendering.kustomize_renderer() is None, reason="neither kubectl nor kustomize is installed, so nothing renders"
)


def json_findings(capsys) -> list[tuple]:
    document = json.loads(capsys.readouterr().out)
    return [
        (f["rule"], f["path"], f["line"], f["column"], f["rendered"] and (f["rendered"]["path"], f["rendered"]["line"]))
        for f in document["findings"]
    ]


def without_renderers(monkeypatch, *names: str) -> None:
    """As if these programs were not installed."""
    real = shutil.which
    monkeypatch.setattr(rendering.shutil, "which", lambda name, *a, **k: None if name in names else real(name, *a, **k))


# --- Helm: a rendered stream on standard input ---------------------------------------

# Checked by hand against tests/data/helm/shop/templates/:
# - deployment.yaml line 27 is `        - name: cloud-sql-proxy`: the proxy's name starts after
#   eight spaces, `- ` and `name: `, at column 17 (line 42 of the stream). Both findings
#   are about that container as a whole, so they sit at its name.
# - worker.yaml line 18 is `          image: "registry.example.com/shop/worker:latest"`: the
#   value, from its opening quote, starts at column 18 (line 67 of the stream).
# - worker.yaml line 24 is `          resources:`, whose value comes from values.yaml through
#   toYaml: not literal in the template, so the key itself, at column 11 (line 73).
HELM_FINDINGS = [
    ("probes-missing", "shop/templates/deployment.yaml", 27, 17, ("<stdin>", 42)),
    ("sidecar-startup-order", "shop/templates/deployment.yaml", 27, 17, ("<stdin>", 42)),
    ("image-tag-unpinned", "shop/templates/worker.yaml", 18, 18, ("<stdin>", 67)),
    ("unbounded-resources", "shop/templates/worker.yaml", 24, 11, ("<stdin>", 73)),
]


def test_a_helm_stream_on_stdin_points_at_the_templates():
    completed = subprocess.run(
        [sys.executable, "-m", "sidecarlint", "--format", "json", "-"],
        input=(DATA / "helm" / "rendered.yaml").read_bytes(),
        cwd=DATA / "helm",
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert completed.returncode == 1, completed.stderr
    document = json.loads(completed.stdout)
    found = [
        (f["rule"], f["path"], f["line"], f["column"], (f["rendered"]["path"], f["rendered"]["line"]))
        for f in document["findings"]
    ]
    assert sorted(found) == sorted(HELM_FINDINGS)


def test_stdin_filename_names_the_stream_and_finds_the_chart_beside_it(monkeypatch, capsys):
    """`helm template ./shop | sidecarlint --stdin-filename shop/rendered.yaml -`, run from
    elsewhere: the chart is the directory of the named file (its Chart.yaml is `shop`)."""
    monkeypatch.chdir(DATA)
    monkeypatch.setattr(sys, "stdin", _stdin(DATA / "helm" / "rendered.yaml"))
    assert main(["--format", "json", "--no-config", "--stdin-filename", "helm/shop/rendered.yaml"]) == 1
    found = json_findings(capsys)
    assert sorted(found) == sorted(
        (rule, "helm/" + path, line, column, ("helm/shop/rendered.yaml", rendered[1]))
        for rule, path, line, column, rendered in HELM_FINDINGS
    )


def test_stdin_filename_is_matched_by_the_configuration(tmp_path, monkeypatch, capsys):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".sidecarlint.yaml").write_text(
        "exclude: ['vendor/**']\nper-path-ignores:\n  'shop/templates/worker.yaml': [image-tag-unpinned]\n", encoding="utf-8"
    )
    shutil.copytree(DATA / "helm" / "shop", tmp_path / "shop")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", _stdin(DATA / "helm" / "rendered.yaml"))
    assert main(["--stdin-filename", "vendor/rendered.yaml"]) == 0
    assert capsys.readouterr().out == "No problems found (0 files checked).\n"
    monkeypatch.setattr(sys, "stdin", _stdin(DATA / "helm" / "rendered.yaml"))
    assert main(["--format", "json", "--stdin-filename", "rendered.yaml", "-"]) == 1
    rules = sorted(rule for rule, *_ in json_findings(capsys))
    assert rules == ["probes-missing", "sidecar-startup-order", "unbounded-resources"]  # ignored at the template


def test_stdin_filename_needs_standard_input(capsys):
    assert main(["--stdin-filename", "x.yaml", "tests"]) == 2
    assert "--stdin-filename names standard input: give '-' among the paths" in capsys.readouterr().err


def test_sarif_and_github_name_the_template(monkeypatch, capsys):
    monkeypatch.chdir(DATA / "helm")
    for output_format in ("sarif", "github", "junit"):
        monkeypatch.setattr(sys, "stdin", _stdin(DATA / "helm" / "rendered.yaml"))
        assert main(["--format", output_format, "--no-config", "-"]) == 1
        out = capsys.readouterr().out
        if output_format == "sarif":
            uris = {
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for result in json.loads(out)["runs"][0]["results"]
            }
            assert uris == {"tests/data/helm/shop/templates/deployment.yaml", "tests/data/helm/shop/templates/worker.yaml"}
        elif output_format == "github":
            assert "file=tests/data/helm/shop/templates/worker.yaml,line=18,col=18,endLine=18," in out
        else:
            assert 'name="shop/templates/worker.yaml"' in out


def _stdin(path: Path):
    import io

    return io.TextIOWrapper(io.BytesIO(path.read_bytes()), encoding="utf-8")


# --- Helm: chart directories ----------------------------------------------------------


@pytest.fixture
def chart(tmp_path, monkeypatch) -> Path:
    shutil.copytree(DATA / "helm" / "shop", tmp_path / "shop")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "shop"


def test_a_chart_without_helm_is_one_note_and_no_template_is_read(chart, monkeypatch, capsys):
    without_renderers(monkeypatch, "helm")
    assert main(["--format", "json", "--no-config", "."]) == 0
    assert json_findings(capsys) == [("helm-chart-not-rendered", "shop/Chart.yaml", 1, 1, None)]


@pytest.fixture
def fake_helm(tmp_path, monkeypatch) -> Path:
    """A stand-in for helm on PATH: prints the captured stream, records its arguments,
    and fails as helm does when the chart's Chart.yaml is not valid."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "helm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys, yaml\n"
        f"pathlib.Path({str(tmp_path / 'helm-args.json')!r}).write_text(__import__('json').dumps(sys.argv[1:]))\n"
        "chart = pathlib.Path(sys.argv[2])\n"
        "try:\n"
        "    yaml.safe_load((chart / 'Chart.yaml').read_text())\n"
        "except yaml.YAMLError:\n"
        "    sys.exit('Error: cannot load Chart.yaml: error converting YAML to JSON')\n"
        f"sys.stdout.write(pathlib.Path({str(DATA / 'helm' / 'rendered.yaml')!r}).read_text())\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "helm-args.json"


def test_a_chart_is_rendered_with_helm_and_attributed_through_source(chart, fake_helm, monkeypatch, capsys):
    (chart.parent / "prod.yaml").write_text("worker: {resources: {}}\n", encoding="utf-8")
    assert main(["--format", "json", "--no-config", "--helm-values", "prod.yaml", "."]) == 1
    found = json_findings(capsys)
    assert sorted(found) == sorted(
        (rule, path, line, column, ("shop", rendered[1])) for rule, path, line, column, rendered in HELM_FINDINGS
    )
    command, directory, *values = json.loads(fake_helm.read_text())
    assert (command, Path(directory).resolve(), values) == ("template", chart.resolve(), ["--values", str(chart.parent / "prod.yaml")])


@needs_helm
def test_the_captured_stream_is_what_helm_renders():
    completed = subprocess.run(
        [shutil.which("helm"), "template", "shop"], cwd=DATA / "helm", capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (DATA / "helm" / "rendered.yaml").read_text(encoding="utf-8")


@needs_helm
def test_a_chart_is_rendered_with_the_real_helm(chart, capsys):
    assert main(["--format", "json", "--no-config", "."]) == 1
    assert sorted(json_findings(capsys)) == sorted(
        (rule, path, line, column, ("shop", rendered[1])) for rule, path, line, column, rendered in HELM_FINDINGS
    )


def test_a_chart_that_does_not_render_is_a_finding(chart, fake_helm, capsys):
    (chart / "Chart.yaml").write_text("name: [shop\n", encoding="utf-8")
    (chart.parent / "pod.yaml").write_text((ROOT / "fixtures" / "volume-mount-undefined" / "fail-deployment-mount-typo.yaml").read_text())
    assert main(["--no-config", "."]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "Found 4 problems (2 errors, 1 warning, 1 note) in 2 of 2 files checked."
    assert "shop:1:1: error [render-failed] helm template failed: cannot load Chart.yaml: error converting YAML to JSON" in out
    assert "pod.yaml:24:21: error [volume-mount-undefined]" in "\n".join(out)


def test_helm_values_must_exist(capsys):
    assert main(["--helm-values", "no-such-values.yaml", "tests/data/helm"]) == 2
    assert "--helm-values: no-such-values.yaml: no such file" in capsys.readouterr().err


# --- Kustomize ------------------------------------------------------------------------


@pytest.fixture
def overlay(tmp_path, monkeypatch) -> Path:
    shutil.copytree(DATA / "kustomize", tmp_path / "kustomize")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "kustomize"


# base/deployment.yaml line 16 (line 29 of what kubectl renders for the base alone) is `            - name: cache`: the mount's name at column 21.
# overlays/prod/add-log-shipper.yaml line 9 is `        - name: log-shipper`: column 17.
KUSTOMIZE_FINDINGS = [
    ("volume-mount-undefined", "kustomize/base/deployment.yaml", 16, 21),
    ("unbounded-resources", "kustomize/overlays/prod/add-log-shipper.yaml", 9, 17),
]


@needs_kustomize
def test_an_overlay_is_rendered_and_points_at_base_and_patch(overlay, capsys):
    assert main(["--format", "json", "--no-config", "kustomize"]) == 1
    document = json.loads(capsys.readouterr().out)
    found = [(f["rule"], f["path"], f["line"], f["column"]) for f in document["findings"]]
    assert found == KUSTOMIZE_FINDINGS
    assert [f["rendered"]["path"] for f in document["findings"]] == ["kustomize/overlays/prod"] * 2
    assert [f["object"]["name"] for f in document["findings"]] == ["prod-web", "prod-web"]
    assert document["summary"]["files"] == 1  # the overlay, rendered; the base through it


@needs_kustomize
def test_nothing_is_linted_twice(overlay, capsys):
    """Base and overlay named together, a second overlay of the same base, and a file of
    the base named on its own: each mistake once."""
    staging = overlay / "overlays" / "staging"
    shutil.copytree(overlay / "overlays" / "prod", staging)
    text = (staging / "kustomization.yaml").read_text().replace("prod-", "staging-")
    (staging / "kustomization.yaml").write_text(text)
    assert main(["--format", "json", "--no-config", "kustomize/base", "kustomize", "kustomize/base/deployment.yaml"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f["rule"], f["path"], f["line"], f["column"]) for f in findings) == [
        ("unbounded-resources", "kustomize/overlays/prod/add-log-shipper.yaml", 9, 17),
        ("unbounded-resources", "kustomize/overlays/staging/add-log-shipper.yaml", 9, 17),
        ("volume-mount-undefined", "kustomize/base/deployment.yaml", 16, 21),  # once, not once per overlay
    ]
    per_place = Counter((f["rule"], f["object"]["name"], f["container"]) for f in findings)
    assert set(per_place.values()) == {1}


@needs_kustomize
def test_a_base_named_alone_is_rendered_alone(overlay, capsys):
    assert main(["--format", "json", "--no-config", "kustomize/base"]) == 1
    assert json_findings(capsys) == [("volume-mount-undefined", "kustomize/base/deployment.yaml", 16, 21, ("kustomize/base", 29))]


def test_without_a_renderer_the_files_are_linted_with_one_note(overlay, monkeypatch, capsys):
    without_renderers(monkeypatch, "kubectl", "kustomize")
    assert main(["--format", "json", "--no-config", "kustomize"]) == 1
    assert json_findings(capsys) == [
        ("volume-mount-undefined", "kustomize/base/deployment.yaml", 16, 21, None),
        ("unbounded-resources", "kustomize/overlays/prod/add-log-shipper.yaml", 9, 17, None),
        ("kustomize-not-rendered", "kustomize/overlays/prod/kustomization.yaml", 1, 1, None),
    ]


def test_without_a_renderer_a_kustomization_without_suffix_still_gets_its_note(overlay, monkeypatch, capsys):
    without_renderers(monkeypatch, "kubectl", "kustomize")
    (overlay / "overlays" / "prod" / "kustomization.yaml").rename(overlay / "overlays" / "prod" / "Kustomization")
    assert main(["--format", "json", "--no-config", "--select", "kustomize-not-rendered", "kustomize"]) == 0
    assert json_findings(capsys) == [("kustomize-not-rendered", "kustomize/overlays/prod/Kustomization", 1, 1, None)]


@needs_kustomize
@pytest.mark.parametrize(
    ("kustomization", "message"),
    [
        ("resources:\n  - missing.yaml\n", "kubectl kustomize failed: accumulating resources"),
        ("resources: [\n", "kubectl kustomize failed: invalid Kustomization: yaml: line"),
    ],
)
def test_an_overlay_that_does_not_render_is_a_finding_and_the_run_goes_on(overlay, capsys, kustomization, message):
    if rendering.kustomize_renderer().name != "kubectl kustomize":
        pytest.skip("the messages checked are kubectl's")
    broken = overlay.parent / "broken"
    broken.mkdir()
    (broken / "kustomization.yaml").write_text(kustomization, encoding="utf-8")
    assert main(["--no-config", "broken", "kustomize"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"broken:1:1: error [render-failed] {message}")
    assert [line.split(" ")[0] for line in out[1:3]] == [
        "kustomize/base/deployment.yaml:16:21:",
        "kustomize/overlays/prod/add-log-shipper.yaml:9:17:",
    ]


def test_a_renderer_that_hangs_is_stopped(tmp_path, monkeypatch):
    script = tmp_path / "kubectl"
    script.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(rendering, "RENDER_TIMEOUT_SECONDS", 0.5)
    with pytest.raises(rendering.RenderError, match=r"^kubectl kustomize did not finish in 0.5 seconds$"):
        rendering.render_kustomization(rendering.Renderer("kubectl kustomize", (str(script), "kustomize")), tmp_path)


@needs_kustomize
def test_output_is_identical_whatever_jobs_is(overlay, capsys):
    plain = overlay.parent / "plain"
    plain.mkdir()
    pod = (ROOT / "fixtures" / "volume-mount-undefined" / "fail-deployment-mount-typo.yaml").read_text()
    for number in range(MIN_FILES_FOR_POOL):
        (plain / f"pod{number:03}.yaml").write_text(pod, encoding="utf-8")
    outputs = []
    for jobs in ("1", "2"):
        assert main(["--format", "json", "--no-config", "--jobs", jobs, "kustomize", "plain"]) == 1
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    paths = {f["path"] for f in json.loads(outputs[0])["findings"]}
    assert {"kustomize/base/deployment.yaml", "kustomize/overlays/prod/add-log-shipper.yaml"} <= paths


@needs_kustomize
def test_a_value_a_patch_sets_is_reported_at_the_patch(overlay, capsys):
    prod = overlay / "overlays" / "prod"
    (prod / "image.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: web\n          image: nginx:latest\n",
        encoding="utf-8",
    )
    with (prod / "kustomization.yaml").open("a", encoding="utf-8") as kustomization:
        kustomization.write("  - path: image.yaml\n")
    assert main(["--format", "json", "--no-config", "--select", "image-tag-unpinned", "kustomize"]) == 1
    # Line 10 is `          image: nginx:latest`: the value at column 18, in the patch, not the base.
    assert json_findings(capsys) == [
        ("image-tag-unpinned", "kustomize/overlays/prod/image.yaml", 10, 18, ("kustomize/overlays/prod", 15))
    ]


@needs_kustomize
def test_excludes_match_rendered_directories_and_the_files_findings_move_to(overlay, capsys):
    (overlay.parent / ".sidecarlint.yaml").write_text("exclude: ['kustomize/base/deployment.yaml']\n", encoding="utf-8")
    assert main(["--format", "json", "kustomize"]) == 1
    assert [path for _, path, *_ in json_findings(capsys)] == ["kustomize/overlays/prod/add-log-shipper.yaml"]
    (overlay.parent / ".sidecarlint.yaml").write_text("exclude: ['kustomize/overlays/prod/**']\n", encoding="utf-8")
    assert main(["--format", "json", "kustomize"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["files"] == 0


@needs_kustomize
def test_two_overlays_of_one_base_in_different_workers_report_its_mistake_once(overlay, capsys):
    """The overlays are 200 files apart, so a pool lints them in different chunks; the
    base's mistake is still reported once, and the summary counts the files findings
    moved to as checked."""
    staging = overlay / "overlays" / "staging"
    shutil.copytree(overlay / "overlays" / "prod", staging)
    (staging / "kustomization.yaml").write_text((staging / "kustomization.yaml").read_text().replace("prod-", "staging-"))
    plain = overlay.parent / "plain"
    plain.mkdir()
    for number in range(MIN_FILES_FOR_POOL):
        (plain / f"pod{number:03}.yaml").write_text(CLEAN_POD, encoding="utf-8")
    arguments = ["--no-config", "kustomize/overlays/prod", "plain", "kustomize/overlays/staging"]
    for jobs in ("1", "2"):
        assert main([*arguments, "--jobs", jobs]) == 1
        out = capsys.readouterr().out.splitlines()
        assert [line.split(" ")[0] for line in out[:-1]] == [
            "kustomize/base/deployment.yaml:16:21:",  # volume-mount-undefined, through prod only
            "kustomize/overlays/prod/add-log-shipper.yaml:9:17:",
            "kustomize/overlays/staging/add-log-shipper.yaml:9:17:",
        ]
        # 202 sources read (two overlays, 200 pods), and the base and the two patches that
        # findings were moved to; the findings are in those three.
        assert out[-1] == "Found 3 problems (1 error, 2 warnings) in 3 of 205 files checked."


CLEAN_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: clean
spec:
  containers:
    - name: app
      image: nginx:1.27.2
      readinessProbe:
        httpGet: {path: /, port: 80}
      livenessProbe:
        httpGet: {path: /, port: 80}
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {memory: 64Mi}
"""
