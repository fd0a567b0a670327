"""``python -m ipssim`` is the ``ipssim`` command."""

import sys

from ipssim.cli import main

sys.exit(main())
