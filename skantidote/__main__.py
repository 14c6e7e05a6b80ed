"""``python -m skantidote``: the ``skantidote`` command line (see :mod:`skantidote.cli`)."""

import sys

from skantidote.cli import main

if __name__ == "__main__":
    sys.exit(main())
