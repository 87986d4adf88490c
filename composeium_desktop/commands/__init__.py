"""One module per `composeium` subcommand: each defines NAME, HELP, add_arguments and run."""
