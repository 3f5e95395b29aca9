"""``python -m benchmarks [--quick] [--seed N]``: run the benchmark suite (see `benchmarks.runner`)."""

from benchmarks.runner import main

raise SystemExit(main())
