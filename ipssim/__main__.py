"""``ipssim`` and ``python -m ipssim``: the command line, quiet on a signal from the first moment.

Loading the program takes a moment (numpy, pyarrow, plotly); a Ctrl-C or SIGTERM in that moment
ends it with one line and no traceback. :func:`ipssim.cli.main` then handles signals itself.
"""

import signal
import sys


def main() -> int:
    signal.signal(signal.SIGINT, _stop_while_loading)
    signal.signal(signal.SIGTERM, _stop_while_loading)
    from ipssim.cli import main as command_line

    signal.signal(signal.SIGINT, signal.default_int_handler)
    return command_line()


def _stop_while_loading(signum: int, frame: object) -> None:
    print("ipssim: interrupted; nothing written", file=sys.stderr)
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
