"""automl-cli: one command from a CSV to a strong, safe model."""

__version__ = "0.1.0"
