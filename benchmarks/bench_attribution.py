"""Benchmark seqlens.attribution against captum and tangermeme, and fast vs naive ISM.

Every method runs on the same random one-hot sequences and the same zoo models
(``cnn_local`` and ``cnn_dist`` with exponential first-layer activations, eval mode) with
matched settings; the implementations of a method are timed round-robin, best of
``--repeats`` rounds (default 3; one-off kernel set-up is not counted, and a slow stretch
of a shared machine hits all of them alike). Prints a markdown table of
sequences per second and the speed of each implementation relative to seqlens
(``> 1`` means faster than seqlens), plus the largest absolute difference to seqlens'
result where the two compute the same quantity.

    python benchmarks/bench_attribution.py            # 1,000 x 200 nt, ISM on 200
    python benchmarks/bench_attribution.py --n 100 --ism-n 10
"""

from __future__ import annotations

import argparse
import warnings

import torch

from _timing import best_of, best_of_interleaved

from seqlens.alphabet import random_sequences
from seqlens.attribution import (
    deepshap,
    expected_gradients,
    integrated_gradients,
    ism,
    saliency,
    smoothgrad,
)
from seqlens.attribution.references import dinuc_shuffled_references, shuffled_references
from seqlens.models import build
from seqlens.models.activations import ACTIVATIONS


REPEATS = 3


def timed(fn):
    """Result and best wall time of ``REPEATS`` calls (the first also warms up kernels)."""
    seconds, out = best_of(fn, REPEATS)
    return out, seconds


def max_diff(a, b) -> str:
    return "" if a is None or b is None else f"{(a.double() - b.double()).abs().max().item():.1e}"


def run_method(rows, method, model_name, n_seq, impls):
    """``impls``: list of (name, fn, comparable); the first is seqlens. The implementations
    are timed round-robin (best of ``REPEATS`` rounds)."""
    seconds, outs = best_of_interleaved({name: fn for name, fn, _ in impls}, REPEATS)
    ours = impls[0][0]
    for name, _, comparable in impls:
        diff = max_diff(outs[ours], outs[name]) if comparable and name != ours else ""
        rows.append((method, model_name, name, n_seq / seconds[name], seconds[ours] / seconds[name], diff))


def gradient_benchmarks(rows, model, model_name, X, batch_size):
    from captum.attr import IntegratedGradients, NoiseTunnel, Saliency
    from tangermeme.deep_lift_shap import _nonlinear, deep_lift_shap
    from tangermeme.saliency import saliency as tm_saliency

    N = X.shape[0]
    run_method(rows, "saliency", model_name, N, [
        ("seqlens", lambda: saliency(model, X, batch_size=batch_size, correct=False), True),
        ("captum", lambda: Saliency(model).attribute(X.clone().requires_grad_(), target=0, abs=False), True),
        ("tangermeme", lambda: tm_saliency(model, X, batch_size=batch_size, device="cpu", hypothetical=True, gradient_correction=False), True),
    ])

    n_noise = 25
    run_method(rows, f"smoothgrad (n={n_noise})", model_name, N, [
        ("seqlens", lambda: smoothgrad(model, X, n=n_noise, sigma=0.1, batch_size=batch_size, correct=False), False),
        ("captum", lambda: torch.cat([
            NoiseTunnel(Saliency(model)).attribute(X[i:i + 16].clone().requires_grad_(), nt_type="smoothgrad", nt_samples=n_noise,
                                                   nt_samples_batch_size=max(1, batch_size // 16), stdevs=0.1, target=0, abs=False)
            for i in range(0, N, 16)]), False),
    ])

    steps = 20
    base = shuffled_references(X, n=1, seed=0)
    run_method(rows, f"integrated gradients ({steps} steps)", model_name, N, [
        ("seqlens", lambda: integrated_gradients(model, X, steps=steps, baselines=base, batch_size=batch_size, correct=False) * (X - base[:, 0]) * steps / (steps + 1), True),
        ("captum", lambda: IntegratedGradients(model).attribute(X, baselines=base[:, 0], target=0, n_steps=steps + 1, method="riemann_trapezoid",
                                                                internal_batch_size=batch_size), True),
    ])

    run_method(rows, "expected gradients (10 refs x 20 steps)", model_name, N, [
        ("seqlens", lambda: expected_gradients(model, X, n_references=10, steps=20, batch_size=batch_size), False),
    ])

    refs, ref_seconds = timed(lambda: dinuc_shuffled_references(X, n=10, seed=0))
    rows.append(("dinucleotide shuffles (10 per sequence)", "-", "seqlens.alphabet", N / ref_seconds, float("nan"), ""))
    ops = {cls: _nonlinear for cls in ACTIVATIONS.values()}  # tangermeme needs seqlens' activations registered
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_method(rows, "deepshap (10 dinuc refs, given)", model_name, N, [
            ("seqlens", lambda: deepshap(model, X, references=refs, batch_size=batch_size), True),
            ("tangermeme", lambda: deep_lift_shap(model, X, references=refs, hypothetical=True, device="cpu", batch_size=batch_size,
                                                  additional_nonlinear_ops=ops), True),
        ])
        run_method(rows, "deepshap (10 dinuc refs, drawn)", model_name, N, [
            ("seqlens", lambda: deepshap(model, X, n_references=10, batch_size=batch_size), False),
            ("tangermeme", lambda: deep_lift_shap(model, X, n_shuffles=10, random_state=0, hypothetical=True, device="cpu",
                                                  batch_size=batch_size, additional_nonlinear_ops=ops), False),
        ])


def ism_benchmarks(rows, model, model_name, X, naive_batch_size):
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    bs = naive_batch_size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_method(rows, "ISM", model_name, X.shape[0], [
            ("seqlens fast", lambda: ism(model, X, fast=True), True),
            ("seqlens naive", lambda: ism(model, X, fast=False, batch_size=bs), True),
            ("tangermeme fast", lambda: saturation_mutagenesis(model, X, target=0, hypothetical=True, device="cpu", fast=True,
                                                               batch_size=bs), False),
            ("tangermeme naive", lambda: saturation_mutagenesis(model, X, target=0, hypothetical=True, device="cpu", fast=False,
                                                                batch_size=bs), False),
        ])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="sequences for the gradient methods and DeepSHAP")
    parser.add_argument("--ism-n", type=int, default=200, help="sequences for ISM")
    parser.add_argument("--ism-naive-batch-size", type=int, default=256,
                        help="mutants per call for naive ISM and tangermeme (256 was fastest for naive ISM here)")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="time each call this many times, keep the best")
    parser.add_argument("--skip-gradients", action="store_true")
    parser.add_argument("--skip-ism", action="store_true")
    args = parser.parse_args()
    global REPEATS
    REPEATS = args.repeats
    torch.set_num_threads(args.threads)
    X = random_sequences(args.n, args.length, seed=0, as_tensor=True)
    rows = []
    for name in ("cnn_local", "cnn_dist"):
        model = build(name, activation="exponential", seed=0, input_length=args.length).eval()
        if not args.skip_gradients:
            gradient_benchmarks(rows, model, name, X, args.batch_size)
        if not args.skip_ism:
            ism_benchmarks(rows, model, name, X[: args.ism_n], args.ism_naive_batch_size)
    if not args.skip_ism:
        basset = build("basset", activation="exponential", seed=0).eval()  # 600 nt, 164 outputs
        ism_benchmarks(rows, basset, "basset (600 nt)", random_sequences(max(2, args.ism_n // 100), 600, seed=0, as_tensor=True),
                       args.ism_naive_batch_size)
    print(f"\n{args.n} sequences x {args.length} nt (ISM: {args.ism_n}; basset: {max(2, args.ism_n // 100)} x 600 nt), "
          f"{args.threads} threads, best of {args.repeats}, torch {torch.__version__}\n")
    print("| method | model | implementation | sequences/s | speed vs seqlens | max abs diff to seqlens |")
    print("|---|---|---|---:|---:|---:|")
    for method, model_name, impl, rate, ratio, diff in rows:
        print(f"| {method} | {model_name} | {impl} | {rate:,.1f} | {ratio:.3g} | {diff} |" if rate >= 10 else
              f"| {method} | {model_name} | {impl} | {rate:.3g} | {ratio:.3g} | {diff} |")


if __name__ == "__main__":
    main()
