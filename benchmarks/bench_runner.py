"""Study throughput: ``seqlens run`` against the same units run as CLI commands one after another.

The contenders compute the same units of a study (default: the quick scale of
``exp-activations``: cnn_local and cnn_dist x relu and exponential x 2 seeds, 6,000
sequences, saliency / IG / DeepSHAP / ISM raw and corrected, filters) from the same
``data.h5``:

- ``seqlens run`` with the local executor (``--workers`` processes, cores / workers threads each);
- for each unit, ``seqlens train``, ``seqlens attribute``, ``seqlens score`` and
  ``seqlens filters`` in sequence, as a user without the runner would script it (each
  command a new process using every core).

Both run once, one after the other, on the otherwise idle machine; the table gives wall
time, units per hour and the ratio. Run: ``python benchmarks/bench_runner.py [--workers 2]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEQLENS = [str(Path(sys.executable).with_name("seqlens"))]  # the installed command, as a user runs it


def cli_units(study, units, data: Path, work: Path) -> None:
    """Each unit as four CLI commands (train, attribute, score, filters)."""
    fit = study.models
    spec = study.attribution
    for unit in units:
        run = work / unit.name
        c = unit.coordinates
        commands = [
            ["train", "--data", data, "--model", c["architecture"], "--activation", c["activation"], "--seed", c["seed"],
             "--epochs", fit.epochs, "--lr-decay", fit.lr_decay, "--lr-patience", fit.lr_patience,
             "--patience", fit.early_stopping_patience, "--out", run, "--quiet"],
            ["attribute", run, "--data", data, "--positives", "--limit", spec.limit, "--methods", ",".join(spec.methods),
             "--seed", c["seed"], "-o", run / "attributions.h5", "--quiet"],
            ["score", run / "attributions.h5", "--convention", study.scoring.convention, "-o", run / "scores"],
            ["filters", run, "--data", data, "--jaspar", study.filters.jaspar, "--evalue", study.filters.evalue,
             "--criterion", study.filters.criterion, "-o", run / "filters"],
        ]
        for command in commands:
            subprocess.run([*SEQLENS, *map(str, command)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="exp-activations")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from seqlens.data import load_h5, save_h5
    from seqlens.experiments import expand_units, load_study, run_study
    from seqlens.experiments.work import data_checksum

    study = load_study(args.study, args.scale)
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data.h5"
        save_h5(study.data.generator()(**study.data.options, seed=study.data.seed), data)
        units = expand_units(study, data_checksum(load_h5(data)))

        out = tmp / "runner"
        out.mkdir()
        shutil.copy(data, out / "data.h5")  # both contenders start from the same generated data
        start = time.perf_counter()
        report = run_study(study, out, workers=args.workers, verbose=False)
        runner_seconds = time.perf_counter() - start
        if report.failed:
            raise SystemExit(f"runner units failed: {report.failed}")

        start = time.perf_counter()
        cli_units(study, units, data, tmp / "cli")
        cli_seconds = time.perf_counter() - start

    n = len(units)
    print(f"| contender | units | wall time (s) | units per hour | speed vs CLI |")
    print("|---|---:|---:|---:|---:|")
    print(f"| seqlens run (local, {args.workers} workers) | {n} | {runner_seconds:.0f} | {n / runner_seconds * 3600:.1f} "
          f"| {cli_seconds / runner_seconds:.2f} |")
    print(f"| train + attribute + score + filters per unit | {n} | {cli_seconds:.0f} | {n / cli_seconds * 3600:.1f} | 1 |")
    print(f"\n{args.study} ({args.scale}): {n} units; ratio {cli_seconds / runner_seconds:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
