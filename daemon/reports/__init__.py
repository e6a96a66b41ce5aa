"""What the daemon tells people: status, health, doctor's checks, the log viewer."""
