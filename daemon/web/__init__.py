"""The review page: routes, templates, static files."""
