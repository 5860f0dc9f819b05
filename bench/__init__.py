"""Benchmarks, and the simulated rate-limited Qwen-MT provider they (and the tests) run against."""
