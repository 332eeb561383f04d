"""Global importance analysis: seqlens against tangermeme's ``marginalize`` and ``space``.

Same model (zoo ``cnn_dist``, random weights, seed 0, eval mode), same null sequences
(dinucleotide shuffles of random sequences, 200 nt), same motif, in one process:

- ``position``: the motif (SP1's consensus, 11 nt) at every start of the nulls. tangermeme:
  one ``marginalize`` call per start (its documented way to scan positions; each call runs
  the model on the nulls before and after). seqlens: ``position_effects`` (null outputs
  once, windowed scan through ``patch_predictions``), timed for the effects alone and with
  its statistics (bootstrap CI, Wilcoxon, t, BH q per position), which tangermeme does not compute.
- ``spacing``: motifs A and B (SP1 and CEBPB consensus) at gaps 0..60. tangermeme: the
  four-arm design made of its functions (``space`` for A+B at every gap, ``marginalize`` for A
  once and for B at every gap's position); seqlens: ``spacing_effects`` (one orientation).

The effects of both are checked equal (max |difference| printed) before any time is reported.

    python benchmarks/bench_gia.py [--n 1000] [--threads 2] [--repeats 2] [--batch-size 256]

Prints a markdown table: seconds (best of ``--repeats`` interleaved rounds) and seqlens'
speed-up (tangermeme seconds / seqlens seconds).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch

from _timing import best_of_interleaved
from seqlens.alphabet import one_hot_encode, random_sequences
from seqlens.attribution import patch_predictions, target_outputs
from seqlens.gia import as_pattern, null_sequences, position_effects, spacing_effects
from seqlens.models import build

SP1, CEBPB = "MA0079.3", "MA0466.2"


def _consensus(spec: str) -> str:
    pattern = as_pattern(spec)
    return "".join("ACGT"[i] for i in pattern.ppm.argmax(axis=0))


def _tangermeme_positions(model, X, motif: str, batch_size: int) -> np.ndarray:
    from tangermeme.marginalize import marginalize

    effects = []
    for start in range(X.shape[2] - len(motif) + 1):
        result = marginalize(model, X, motif, start=start, batch_size=batch_size)
        effects.append((result.y_after - result.y_before)[:, 0])
    return torch.stack(effects, dim=1).double().numpy()


def _seqlens_positions(model, X, motif: str) -> np.ndarray:
    """What ``position_effects`` computes before its statistics: effects ``(M, P)``."""
    patch = torch.as_tensor(one_hot_encode(motif))
    y0 = target_outputs(model, X).double()
    return (patch_predictions(model, X, patch) - y0[:, None]).numpy()


def _tangermeme_spacing(model, X, a: str, b: str, gaps, start_a: int, batch_size: int) -> np.ndarray:
    """Per-null interactions ``(M, D)``: f(AB) - f(A) - f(B) + f(null) from tangermeme's functions."""
    from tangermeme.marginalize import marginalize
    from tangermeme.space import space

    joint = space(model, X, [a, b], spacing=[[g] for g in gaps], start=start_a, batch_size=batch_size)
    y0 = joint.y_before[:, 0]
    y_ab = joint.y_afters[:, :, 0]
    alone_a = marginalize(model, X, a, start=start_a, batch_size=batch_size).y_after[:, 0]
    alone_b = torch.stack([marginalize(model, X, b, start=start_a + len(a) + g, batch_size=batch_size).y_after[:, 0]
                           for g in gaps], dim=1)
    return (y_ab - alone_a[:, None] - alone_b + y0[:, None]).double().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="null sequences")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256, help="tangermeme's batch size (seqlens: its own default)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    model = build("cnn_dist", input_length=args.length, seed=0).eval()
    nulls = torch.as_tensor(null_sequences(random_sequences(args.n, args.length, seed=0), args.n, "dinuc", seed=0))
    a, b = _consensus(SP1), _consensus(CEBPB)
    gaps = list(range(0, 61))
    start_a = (args.length - (len(a) + max(gaps) + len(b))) // 2

    contenders = {
        "position: tangermeme marginalize per start": lambda: _tangermeme_positions(model, nulls, a, args.batch_size),
        "position: seqlens patch_predictions (effects only)": lambda: _seqlens_positions(model, nulls, a),
        "spacing: tangermeme space + marginalize (4 arms)": lambda: _tangermeme_spacing(model, nulls, a, b, gaps, start_a, args.batch_size),
        "spacing: seqlens spacing_effects (effects + statistics)": lambda: spacing_effects(model, nulls, a, b, gaps, position_a=start_a,
                                                                   orientations=("++",)).effects,
    }
    # with the table: 2000 bootstrap resamples, Wilcoxon, t and BH per start
    contenders["position: seqlens position_effects (effects + statistics)"] = lambda: position_effects(model, nulls, a).table
    seconds, results = best_of_interleaved(contenders, args.repeats)

    names = list(contenders)
    diff_position = np.abs(results[names[0]] - results[names[1]]).max()
    diff_spacing = np.abs(results[names[2]] - results[names[3]].T).max()
    if diff_position > 1e-3 or diff_spacing > 1e-3:
        raise SystemExit(f"effects differ: position {diff_position:.3g}, spacing {diff_spacing:.3g}")
    print(f"cnn_dist, {args.n} dinucleotide nulls x {args.length} nt, {args.threads} thread(s), best of {args.repeats}; "
          f"max |seqlens - tangermeme| effect: position {diff_position:.2g}, spacing {diff_spacing:.2g}\n")
    print("| experiment | implementation | seconds | seqlens speed-up |")
    print("|---|---|---:|---:|")
    for name in names:
        experiment, implementation = name.split(": ", 1)
        reference = seconds[names[0]] if experiment == "position" else seconds[names[2]]
        ratio = "" if "tangermeme" in implementation else f"{reference / seconds[name]:.1f}x"
        print(f"| {experiment} | {implementation} | {seconds[name]:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
