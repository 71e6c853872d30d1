"""`python -m dhopt` runs the command line."""

from dhopt.cli import entry

if __name__ == "__main__":
    entry()
