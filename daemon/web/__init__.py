"""The review page: a small Starlette application over the library, served by the daemon (or
by `bunny web`). It sits on top with daemon/commands/: nothing below imports it."""
