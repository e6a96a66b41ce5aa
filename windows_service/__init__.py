"""The Windows service around the daemon (pywin32); its logic is in daemon.service_host."""
