"""`python -m dhopt` runs the command line."""

import sys

from dhopt.cli import main

sys.exit(main())
