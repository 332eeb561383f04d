"""Which learning-rate plateau schedule should ``seqlens train`` use by default? (issue 14)

Trains zoo models with two ``ReduceLROnPlateau`` schedules, everything else equal (Adam,
lr 1e-3, batch 100, up to 100 epochs, early stopping after 10 epochs without a better
validation AUROC, the best epoch's weights kept), same seeds:

- ``decay 0.2 / patience 3`` (the CLI default before this measurement),
- ``decay 0.3 / patience 5`` (paper 002's schedule, SPEC section 4).

Per run: test AUROC, epochs trained, final learning rate and whether it collapsed
(:func:`seqlens.training.training_check`). Per architecture: mean +- SD over seeds; over
every (architecture, seed) pair: paired t and Wilcoxon tests of the AUROC difference
(:func:`seqlens.evaluation.paired_comparisons`).

    OMP_NUM_THREADS=1 python benchmarks/measure_lr_schedule.py --out runs/lr-schedule \
        [--architectures cnn_local cnn_dist cnn_deep_gc hybrid_c4c6_mha] [--seeds 0 1 2] [--n 8000] \
        [--irf1]   # also ResidualBind (exponential) on IRF1, from $SEQLENS_DATA

Each run is written to ``OUT/runs/<name>.json`` (atomically) when it ends, and a rerun skips
finished runs, so a killed measurement resumes. Prints a markdown table; ``OUT/runs.csv``
holds every run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from seqlens.evaluation import format_mean_sd, paired_comparisons
from seqlens.io_utils import write_json
from seqlens.models import build
from seqlens.training import evaluate, fit, training_check

SCHEDULES = {"0.2/3": {"lr_decay": 0.2, "lr_patience": 3}, "0.3/5": {"lr_decay": 0.3, "lr_patience": 5}}
EPOCHS, EARLY_STOPPING = 100, 10


def one_run(name: str, architecture: str, activation: str, dataset, schedule: str, seed: int, out: Path) -> dict:
    path = out / "runs" / f"{name}.json"
    if path.is_file():
        return json.loads(path.read_text())
    model = build(architecture, activation=activation, input_length=dataset.input_length,
                  n_outputs=dataset.n_tasks, seed=seed)
    start = time.perf_counter()
    history = fit(model, dataset, epochs=EPOCHS, early_stopping_patience=EARLY_STOPPING, seed=seed, verbose=False,
                  **SCHEDULES[schedule])
    check = training_check(history, EPOCHS)
    test = evaluate(model, dataset.test)
    row = {"name": name, "architecture": architecture, "activation": activation, "schedule": schedule,
           "seed": seed, "test_auroc": float(test["auroc"].mean()), "epochs": check["epochs"],
           "best_epoch": check["best_epoch"], "final_lr": check["final_lr"], "lr_decays": check["lr_decays"],
           "lr_collapsed": check["lr_collapsed"], "stopped_at_cap": check["stopped_at_cap"],
           "seconds": round(time.perf_counter() - start, 1)}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(row, path, "run record")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--architectures", nargs="*", default=["cnn_local", "cnn_dist", "cnn_deep_gc", "hybrid_c4c6_mha"])
    parser.add_argument("--activations", nargs="+", default=["relu", "exponential"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n", type=int, default=8000, help="sequences of the simulated regulatory-code set")
    parser.add_argument("--irf1", action="store_true", help="also ResidualBind on IRF1 ($SEQLENS_DATA)")
    parser.add_argument("--summary", action="store_true", help="train nothing: summarise every run in OUT/runs")
    args = parser.parse_args()
    if args.summary:
        runs = [json.loads(p.read_text()) for p in sorted((args.out / "runs").glob("*.json"))]
        if not runs:
            parser.error(f"no runs in {args.out / 'runs'}")
        summarise(pd.DataFrame([{**r, "data": r["name"].split("-" + r["architecture"])[0]} for r in runs]), args.out)
        return
    from seqlens.synthetic import regulatory_code_dataset

    jobs = [(a, act, "regulatory-code", lambda: regulatory_code_dataset(n=args.n, seed=0))
            for a in args.architectures for act in args.activations]
    if args.irf1:
        from seqlens.data import load

        jobs += [("residualbind", act, "irf1", lambda: load("irf1")) for act in args.activations]
    if not jobs:
        parser.error("nothing to train: give --architectures or --irf1")
    rows, cache = [], {}
    for architecture, activation, data_name, make in jobs:
        for seed in args.seeds:
            for schedule in SCHEDULES:
                name = f"{data_name}-{architecture}-{activation}-{schedule.replace('/', '_')}-seed{seed}"
                if not (args.out / "runs" / f"{name}.json").is_file() and data_name not in cache:
                    cache[data_name] = make()
                row = one_run(name, architecture, activation, cache.get(data_name), schedule, seed, args.out)
                rows.append({**row, "data": data_name})
                print(f"{name}: AUROC {row['test_auroc']:.3f}, {row['epochs']} epochs, final lr {row['final_lr']:.0e}"
                      f"{' (collapsed)' if row['lr_collapsed'] else ''}, {row['seconds']} s", flush=True)
    summarise(pd.DataFrame(rows), args.out)


def summarise(table: pd.DataFrame, out: Path) -> None:
    """Print the per-model table and the paired tests over (model, seed) pairs; write ``OUT/runs.csv``."""
    table.to_csv(out / "runs.csv", index=False)
    print("\n| data | model | schedule | test AUROC | epochs | final lr (median) | collapsed |")
    print("|---|---|---|---|---|---|---|")
    for (data_name, architecture, activation, schedule), group in table.groupby(
            ["data", "architecture", "activation", "schedule"], sort=False):
        auroc = group["test_auroc"]
        print(f"| {data_name} | {architecture} ({activation}) | {schedule} | "
              f"{format_mean_sd(auroc.mean(), auroc.std(ddof=1), len(auroc))} | "
              f"{group['epochs'].mean():.1f} | {group['final_lr'].median():.0e} | "
              f"{int(group['lr_collapsed'].sum())} of {len(group)} |")
    table["pair"] = table["data"] + "/" + table["architecture"] + "/" + table["activation"] + "/" + table["seed"].astype(str)
    tests = paired_comparisons(table, "schedule", pair_on=["pair"], value="test_auroc", levels=list(SCHEDULES))
    row = tests.iloc[0]
    print(f"\nAUROC {row['level_b']} minus {row['level_a']} over {int(row['n_pairs'])} (model, seed) pairs: "
          f"{row['mean_diff']:+.4f} [{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] (95% t CI); "
          f"paired t p = {row['p_ttest']:.2g}, Wilcoxon p = {row['p_wilcoxon']:.2g}")
    epochs = paired_comparisons(table, "schedule", pair_on=["pair"], value="epochs", levels=list(SCHEDULES)).iloc[0]
    print(f"epochs {epochs['level_b']} minus {epochs['level_a']}: {epochs['mean_diff']:+.1f} "
          f"[{epochs['ci_low']:+.1f}, {epochs['ci_high']:+.1f}]; Wilcoxon p = {epochs['p_wilcoxon']:.2g}")


if __name__ == "__main__":
    main()
