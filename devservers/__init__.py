"""Real servers started for tests, benchmarks and `make cluster`: configured in a work
directory of their own, on ports of their own, and stopped leaving nothing running."""
