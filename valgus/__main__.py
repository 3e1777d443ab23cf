"""``python -m valgus`` = the ``valgus`` command."""

import sys

from valgus.cli import main

sys.exit(main())
