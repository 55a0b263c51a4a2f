"""Rendering Kustomize overlays and Helm charts with the tools their authors use.

A subprocess with an argument list, never a shell; a timeout; no network plugins or Helm
inflation from Kustomize (`--enable-helm` stays off). When no renderer is installed,
the caller lints the directory's plain files and says, once, that it was not rendered.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RENDER_TIMEOUT_SECONDS = 120
MAX_RENDERED_BYTES = 64 * 1024 * 1024


class RenderError(Exception):
    """The renderer ran and failed, or could not be run; the message says which and why."""


@dataclass(frozen=True)
class Renderer:
    name: str  # for messages: "kubectl kustomize", "kustomize build", "helm template"
    command: tuple[str, ...]  # the fixed part; the directory and options are appended


@dataclass(frozen=True)
class RenderSpec:
    """A directory to render, and with what: what a rendered `Source` carries (it pickles,
    so that a worker process can render it)."""

    tool: str  # "kustomize" or "helm"
    directory: str
    renderer: Renderer
    values: tuple[str, ...] = ()  # helm: --values files, in order

    def render(self) -> str:
        if self.tool == "helm":
            return render_chart(self.renderer, Path(self.directory), self.values)
        return render_kustomization(self.renderer, Path(self.directory))


def kustomize_renderer() -> Renderer | None:
    if kubectl := shutil.which("kubectl"):
        return Renderer("kubectl kustomize", (kubectl, "kustomize"))
    if kustomize := shutil.which("kustomize"):
        return Renderer("kustomize build", (kustomize, "build"))
    return None


def helm_renderer() -> Renderer | None:
    helm = shutil.which("helm")
    return Renderer("helm template", (helm, "template")) if helm else None


def render_kustomization(renderer: Renderer, directory: Path) -> str:
    return _run(renderer, [*renderer.command, str(directory)])


def render_chart(renderer: Renderer, directory: Path, values: Sequence[str] = ()) -> str:
    arguments = [*renderer.command, str(directory)]
    for file in values:
        arguments += ["--values", file]
    return _run(renderer, arguments)


def _run(renderer: Renderer, arguments: list[str]) -> str:
    try:
        completed = subprocess.run(
            arguments,
            capture_output=True,
            timeout=RENDER_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"{renderer.name} did not finish in {RENDER_TIMEOUT_SECONDS} seconds") from None
    except OSError as error:
        raise RenderError(f"{renderer.name} could not be run: {error.strerror or error}") from None
    if completed.returncode != 0:
        detail = _last_error(completed.stderr.decode("utf-8", errors="replace"))
        raise RenderError(f"{renderer.name} failed: {detail or f'exit status {completed.returncode}'}")
    if len(completed.stdout) > MAX_RENDERED_BYTES:
        raise RenderError(f"{renderer.name} rendered more than {MAX_RENDERED_BYTES // (1024 * 1024)} MiB")
    return completed.stdout.decode("utf-8", errors="replace")


# kubectl logs its error through klog: `E1121 09:59:33.342990   21130 run.go:72] "command
# failed" err="..."`; the time and process id would make every report differ.
_KLOG_HEADER = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\]]*\] ")
_KLOG_ERROR = re.compile(r'^"command failed" err="(?P<error>.*)"$')


def _last_error(stderr: str) -> str:
    """The renderer's last line of error, without log decoration."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    line = _KLOG_HEADER.sub("", lines[-1])
    if match := _KLOG_ERROR.match(line):
        line = match["error"].replace('\\"', '"')
    return line.removeprefix("Error: ").removeprefix("error: ")
