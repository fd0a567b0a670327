"""The planner's workbench: ``ipssim serve``, one web page over :mod:`ipssim.api` (Dash).

Pick a bundled scenario, move the levers (budget, demand, caseload cap, fidelity, years funded,
horizon, discount rate), run, read the headline in words and numbers, keep a history of runs and
set up to four side by side, download what reproduces a run. Dash because the run report's charts
are plotly figures already; the page shows the same figures the report writes.
"""

from __future__ import annotations

from ipssim.app.runs import AT_ONCE, WAITING


def serve(host: str = "127.0.0.1", port: int = 8050, workers: int = 2, at_once: int = AT_ONCE,
          waiting: int = WAITING) -> None:
    """Serve the page on ``host:port`` until interrupted (loopback unless told otherwise): at
    most ``at_once`` runs at a time for all its visitors, on ``workers`` worker processes in
    all, ``waiting`` more in the queue."""
    import logging

    from ipssim.app.page import build_app

    # No line per request (the page asks for its status every 600 ms): the terminal stays
    # readable, and a server whose output goes to a pipe nobody reads cannot block on it.
    # Warnings and errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    build_app(workers, at_once, waiting).run(host=host, port=port, debug=False)
