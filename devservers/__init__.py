"""Real servers started for tests, CI, benchmarks and `make cluster` (not part of the installed
newsdesk package): SeaweedFS for media in object storage (seaweedfs.py) and Pushpin with zurl
for live readers (pushpin.py). Each is configured in a work directory and on ports of its own,
and stopped leaving nothing running."""
