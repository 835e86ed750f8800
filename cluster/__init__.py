"""`make cluster`: Newsdesk on several hosts (network namespaces) on one machine; see
docs/scaling.md. Standard library only, so `down` works with any Python 3.11."""
