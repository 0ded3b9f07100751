"""Benchmark harness: a fast seeder for a clinic network and a bounded load run against gunicorn.

Nothing here is imported by the product. See `python -m bench.seed --help` and `python -m bench.run --help`.
"""
