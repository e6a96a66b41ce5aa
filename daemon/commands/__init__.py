"""The command line: `bunny` and the commands that change the library."""
