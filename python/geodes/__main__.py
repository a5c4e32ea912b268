"""``python -m geodes``: the same command as ``geodes`` (geodes/cli.py)."""

import sys

from geodes.cli import main

sys.exit(main())
