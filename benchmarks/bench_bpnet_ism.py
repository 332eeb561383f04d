"""Benchmark ISM on bpnet-lite's BPNet (count head): seqlens' fast ISM against tangermeme's.

BPNet (bpnet-lite's defaults: 64 filters, 8 dilated residual layers, 2,114 nt input, no
control track) is the model written elsewhere on which issue 13 found seqlens' ISM 5x
slower than tangermeme's: torch.fx could not trace it and the residual sums stopped the
windowed chain. Contenders, timed round-robin (best of ``--repeats`` rounds) on the same
random sequences, batch 256 mutants per call for tangermeme (the issue's setting) and
seqlens' default windows:

- ``seqlens fast``: :func:`seqlens.attribution.ism` (residual sums windowed);
- ``tangermeme fast``: ``saturation_mutagenesis(..., fast=True)`` (its torch.export fastISM);
- ``seqlens naive`` / ``tangermeme naive`` with ``--naive`` (every mutant through the whole model).

Prints mutants per second, each contender's speed relative to seqlens fast (``> 1``: faster
than seqlens) and the largest difference of its (mean-centred, hypothetical) map to ours.

    python benchmarks/bench_bpnet_ism.py                 # 4 sequences of 2,114 nt
    python benchmarks/bench_bpnet_ism.py --n 20 --naive  # the issue's 20 sequences
"""

from __future__ import annotations

import argparse
import sys

import torch

from _timing import best_of_interleaved

from seqlens.attribution import ism


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="sequences (default 4)")
    parser.add_argument("--length", type=int, default=2114, help="input length (default bpnet-lite's 2,114)")
    parser.add_argument("--layers", type=int, default=8, help="dilated residual layers (default 8)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds; the best is kept (default 1)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--naive", action="store_true", help="also time both naive paths (slow)")
    args = parser.parse_args()
    try:
        from bpnetlite import BPNet
        from bpnetlite.bpnet import CountWrapper
        from tangermeme.saturation_mutagenesis import saturation_mutagenesis
    except ImportError as err:
        print(f"skipped: needs bpnet-lite and tangermeme ({err}); pip install bpnet-lite tangermeme", file=sys.stderr)
        return 0  # an optional peer, as in run_all's other benchmarks: not a failure
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = CountWrapper(BPNet(n_filters=64, n_layers=args.layers, n_outputs=1, n_control_tracks=0, verbose=False)).eval()
    letters = torch.randint(0, 4, (args.n, args.length), generator=torch.Generator().manual_seed(1))
    X = torch.nn.functional.one_hot(letters, 4).transpose(1, 2).float()

    contenders = {
        "seqlens fast": lambda: ism(model, X),
        "tangermeme fast": lambda: saturation_mutagenesis(model, X, batch_size=256, hypothetical=True, fast=True),
    }
    if args.naive:
        contenders["seqlens naive"] = lambda: ism(model, X, batch_size=256, fast=False)
        contenders["tangermeme naive"] = lambda: saturation_mutagenesis(model, X, batch_size=256, hypothetical=True, fast=False)
    seconds, maps = best_of_interleaved(contenders, args.repeats)

    def centred(name):  # tangermeme's maps are mean-centred over the letters
        m = maps[name].double()
        return m - m.mean(dim=1, keepdim=True) if name.startswith("seqlens") else m

    ours = centred("seqlens fast")
    mutants = 3 * args.n * args.length
    print(f"BPNet count head, {args.layers} layers, {args.n} x {args.length} nt ({mutants:,} mutants), "
          f"{args.threads} thread(s), best of {args.repeats}\n")
    print("| implementation | seconds | mutants/s | speed vs seqlens fast | max abs diff |")
    print("|---|---:|---:|---:|---:|")
    for name in contenders:
        diff = (centred(name) - ours).abs().max().item()
        print(f"| {name} | {seconds[name]:.1f} | {mutants / seconds[name]:,.0f} | "
              f"{seconds['seqlens fast'] / seconds[name]:.2f} | {diff:.1e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
