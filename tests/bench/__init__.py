"""Benchmarks: run each as a module, e.g. `python -m tests.bench.bench_policies`."""
