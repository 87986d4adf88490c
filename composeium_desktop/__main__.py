"""`python -m composeium_desktop` runs the command-line interface."""

from composeium_desktop.cli import main

raise SystemExit(main())
