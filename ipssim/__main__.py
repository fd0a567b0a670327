"""``python -m ipssim`` is the ``ipssim`` command."""

import sys

try:
    from ipssim.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command is still loading: nothing has run yet
    print("ipssim: interrupted; nothing written", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
