from __future__ import annotations

import pytest

from sidecarlint.plugins import Registry, default_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return default_registry(load_entry_points=False)
