"""One module per `composeium` subcommand: each defines NAME, HELP, add_arguments and run."""


class UsageError(Exception):
    """A problem with the user's input: reported as one line, exit code 2, no traceback."""
