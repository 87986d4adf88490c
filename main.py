"""`python main.py [FILE.abc] [--screenshot PNG]` starts the desktop app."""

import sys

from composeium_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
