"""Where a training step of a zoo CNN spends its time on one CPU thread, and whether
training several seeds at once as one batched model would help.

A paper-scale study is bound by training (``done.json`` phases: cnn_dist 422 of 447 s per
unit). This measures one Adam step (batch 100, length 200, BCE) of a zoo model, best of
interleaved rounds, for:

- ``zoo``: the model as built (``nn.Dropout`` after every block);
- ``mask from rand``: each ``nn.Dropout`` replaced by ``x * (rand_like(x) < keep) / keep``
  (the same distribution, a cheaper random-number path than ``bernoulli_``);
- ``no dropout``: dropout removed, the lower bound of anything done to dropout;
- ``K separate``: K models (seeds 0..K-1), one step each, one after the other;
- ``K batched (vmap)``: the same K models stacked with ``torch.func.stack_module_state`` and
  stepped together with ``vmap(functional_call)`` (per-model batches, BN statistics per model).

    OMP_NUM_THREADS=1 python benchmarks/bench_training_step.py [--models cnn_local cnn_dist] [--k 4]

Prints a markdown table: milliseconds per step (per K steps for the last two) and the ratio
to ``zoo`` (to ``K separate``).
"""

from __future__ import annotations

import argparse
import copy

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from _timing import best_of_interleaved
from seqlens.models import build


class _MaskFromRand(torch.nn.Module):
    """Inverted dropout with its mask drawn as ``rand_like(x) < keep``."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1.0 - self.p
        return x * (torch.rand_like(x) < keep) * (1.0 / keep)


def _replace_dropout(model, make):
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Dropout):
                setattr(module, name, make(child.p))
    return model


def _step_fn(model, X, y):
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)

    def step():
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X), y).backward()
        optimizer.step()
    return step


def _batched_step_fn(models, X, y):
    params, buffers = stack_module_state(models)
    params = {name: value.detach().requires_grad_() for name, value in params.items()}
    skeleton = copy.deepcopy(models[0]).to("meta")
    optimizer = torch.optim.Adam(params.values(), 1e-3)

    def loss(p, b, x, t):
        return F.binary_cross_entropy_with_logits(functional_call(skeleton, (p, b), (x,)), t)

    def step():
        optimizer.zero_grad()
        vmap(loss, randomness="different")(params, buffers, X, y).sum().backward()
        optimizer.step()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cnn_local", "cnn_dist"])
    parser.add_argument("--k", type=int, default=4, help="models stepped at once in the batched contender")
    parser.add_argument("--steps", type=int, default=10, help="steps per timed call")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    X = F.one_hot(torch.randint(0, 4, (args.k, 100, 200), generator=generator), 4).permute(0, 1, 3, 2).float()
    y = torch.randint(0, 2, (args.k, 100, 1), generator=generator).float()

    print(f"| model | contender | ms per step | ratio |")
    print("|---|---|---:|---:|")
    for arch in args.models:
        def make(seed=0):
            return build(arch, activation="relu", input_length=200, n_outputs=1, seed=seed)
        single = {
            "zoo": _step_fn(make(), X[0], y[0]),
            "mask from rand": _step_fn(_replace_dropout(make(), _MaskFromRand), X[0], y[0]),
            "no dropout": _step_fn(_replace_dropout(make(), lambda p: torch.nn.Identity()), X[0], y[0]),
        }
        separate = [_step_fn(make(seed), X[k], y[k]) for k, seed in enumerate(range(args.k))]
        contenders = {**single,
                      f"{args.k} separate": lambda: [step() for step in separate],
                      f"{args.k} batched (vmap)": _batched_step_fn([make(seed) for seed in range(args.k)], X, y)}
        for step in contenders.values():  # warm-up
            step()
        best, _ = best_of_interleaved({name: (lambda s=step: [s() for _ in range(args.steps)])
                                       for name, step in contenders.items()}, args.repeats)
        ms = {name: seconds / args.steps * 1000 for name, seconds in best.items()}
        for name, value in ms.items():
            reference = ms[f"{args.k} separate"] if name.startswith(f"{args.k} ") else ms["zoo"]
            print(f"| {arch} | {name} | {value:.1f} | {reference / value:.2f} |")


if __name__ == "__main__":
    main()
