"""Zhifa's benchmark suite: a synthetic Hangzhou-scale ruleset, a case stream, and a runner with targets.

Run ``python -m benchmarks`` (full run, several minutes) or ``python -m benchmarks --quick``; see
`benchmarks.runner` for what is measured and `benchmarks/RESULTS.md` for the recorded runs.

Modules:
    generator: writes the ruleset tree (DSL + CSV) into a directory and generates cases, from a seed.
    runner: measures latency, throughput, the durable_rules floor, load time, memory and scaling, prints
        each figure against its target, and profiles what misses.
    probe: the fresh-process part of the runner (cold load, peak memory).

Generated data goes to a temporary directory (or ``benchmarks/out/``, which git ignores), never into the
repository.
"""
