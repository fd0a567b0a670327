"""ipssim: a discrete-event simulator of IPS (Individual Placement and Support) programmes."""

from ipssim._version import __version__

__all__ = ["__version__"]
