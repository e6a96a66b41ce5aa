"""The daemon itself: its process, host, workers, signals, locks and schedules."""
