"""Throwaway servers for tests, CI, benchmarks and `make cluster` (not part of the installed
newsdesk package): SeaweedFS for media in object storage (seaweedfs.py)."""
