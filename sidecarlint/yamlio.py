"""Reading sidecarlint's own YAML data (rule files, the sidecar catalogue, the configuration).

Manifests go through `sidecarlint.load`, which keeps nodes for positions; these files only
need their data, parsed with libyaml when it is there (several times faster at start-up).
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
