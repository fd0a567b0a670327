"""ipssim: a discrete-event simulator of IPS (Individual Placement and Support) programmes."""

__version__ = "0.1.0"
