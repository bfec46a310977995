"""Sample traffic for the demo and the tests, and synthetic streams for benchmarks."""

from lifecycle.samples.scenario import build_sample
from lifecycle.samples.synthetic import synthetic_events

__all__ = ["build_sample", "synthetic_events"]
