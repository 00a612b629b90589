"""Performance benchmarks: run one with `python -m bench.NAME` from the repository root
(`make bench` runs them all). Each prints ratios against a baseline measured in the same run."""
