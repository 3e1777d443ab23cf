"""``python -m valgus`` = the ``valgus`` command."""

import sys

from valgus.cli.main import main

sys.exit(main())
