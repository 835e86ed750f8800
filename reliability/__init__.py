"""`make reliability`: fault scenarios against real processes, results in RELIABILITY.md."""
