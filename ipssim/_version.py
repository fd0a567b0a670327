"""The package version (a leaf, so that any layer can record it in what it writes)."""

__version__ = "0.1.0"
