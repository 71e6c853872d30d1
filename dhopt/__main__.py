"""`python -m dhopt` runs the command line."""

import sys

from dhopt.cli import main

if __name__ == "__main__":
    sys.exit(main())
