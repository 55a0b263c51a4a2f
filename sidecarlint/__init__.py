"""sidecarlint: a static linter for Kubernetes pod specs that knows about sidecar containers."""

__version__ = "0.1.0"
