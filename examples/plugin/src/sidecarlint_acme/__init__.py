"""An example sidecarlint plugin."""
