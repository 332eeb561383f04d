"""Experiments that reproduce the papers' findings, built from the library's parts.

- :mod:`seqlens.experiments.demo`: ReLU vs exponential first layer on the regulatory-code
  task, from data generation to a report (``seqlens demo``, ``make demo``).
"""

from .demo import DemoSettings, run_demo

__all__ = ["DemoSettings", "run_demo"]
