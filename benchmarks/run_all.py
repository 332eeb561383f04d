"""Run every benchmark in this folder, one after the other, and print their tables.

Run: ``python benchmarks/run_all.py [--only one_hot,shuffle,...]``. Each benchmark is a
separate process so one's memory and threads do not disturb the next; the machine should
otherwise be idle while they run (ratios compare contenders measured in the same process).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["one_hot", "shuffle", "synthetic", "training", "training_step", "attribution", "bpnet_ism", "gia", "streaming", "logo"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset of " + ", ".join(BENCHMARKS))
    names = [n.strip() for n in parser.parse_args().only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}")
    failed = []
    for name in names:
        print(f"\n## {name}\n", flush=True)
        if subprocess.run([sys.executable, str(HERE / f"bench_{name}.py")]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
