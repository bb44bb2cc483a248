"""Benchmarks: ``uv run python -m bench`` runs them all in interleaved rounds (bench.harness)."""
