"""The exit statuses of `bunny`, shared by its parser and its commands."""

EXIT_SCHEMA = 1  # the database's schema is not this program's
EXIT_CONFIG = 2
EXIT_ALREADY_RUNNING = 3
EXIT_CRASHED = 70  # sysexits' EX_SOFTWARE: the daemon ended on an unexpected error
EXIT_NOT_FOUND = 4  # the argument names nothing the command can use (`bunny lineage FILE`)
