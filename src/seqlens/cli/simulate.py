"""``seqlens simulate``: write the papers' synthetic datasets (or variations of them) to HDF5."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import typer

from ..data import LAYOUTS, save_h5
from ..errors import SeqlensError
from ..synthetic import (
    MULTITASK_MOTIFS_PER_SEQ,
    MULTITASK_TFS,
    REGULATORY_CODE_CORE,
    REGULATORY_CODE_MOTIFS_PER_SEQ,
    multitask_dataset,
    regulatory_code_dataset,
)
from ._common import console, emit_json, progress_bar

app = typer.Typer(help="Generate synthetic DNA with ground truth (SPEC section 2).", no_args_is_help=True)

OUT_HELP = "Output HDF5 file."
LAYOUT_HELP = f"HDF5 layout: one of {', '.join(LAYOUTS)} (papers = the original X_*/Y_*/model_* keys)."
MOTIFS_HELP = "Comma-separated JASPAR names or matrix IDs replacing the default motif list."
K_HELP = "Motif-count distribution as k:probability pairs, e.g. '3:0.5,4:0.25,5:0.25'."
GC_HELP = "GC content of background positions (default: uniform 0.25 per letter)."
BACKGROUND_HELP = "Background nucleotide frequencies 'A,C,G,T' (default: 0.25 each)."
SPLIT_HELP = "Train, valid and test fractions, comma-separated."


def _numbers(text: str, option: str, count: int | None = None) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise SeqlensError(f"{option} must be comma-separated numbers, got {text!r}") from None
    if count is not None and len(values) != count:
        raise SeqlensError(f"{option} needs {count} numbers, got {len(values)} in {text!r}")
    return values


def _motifs_per_seq(text: str | None, default: Mapping[int, float]) -> Mapping[int, float]:
    if text is None:
        return default
    distribution = {}
    for pair in text.split(","):
        k, sep, p = pair.partition(":")
        if not sep:
            raise SeqlensError(f"--motifs-per-seq entries must look like k:probability, got {pair!r}")
        try:
            distribution[int(k)] = float(p)
        except ValueError:
            raise SeqlensError(f"--motifs-per-seq entry {pair!r} is not an integer k and a probability") from None
    return distribution


def _motif_list(text: str | None, default: tuple[str, ...]) -> list[str]:
    if text is None:
        return list(default)
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise SeqlensError(f"--motifs lists no motif names: {text!r}")
    return names


def _release(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text


def _background(background: str | None, gc: float | None) -> dict:
    if background is not None and gc is not None:
        raise SeqlensError("give either --background or --background-gc, not both")
    return {"background_probs": None if background is None else _numbers(background, "--background", 4), "gc": gc}


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise SeqlensError(f"--layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")


def _build_and_write(build, n: int, out: Path, layout: str, json_output: bool) -> None:
    """Run ``build()``, write its dataset to ``out``, report a summary (JSON or human)."""
    with progress_bar() as bar:
        task = bar.add_task(f"simulating {n} sequences", total=2)
        dataset = build()
        bar.update(task, advance=1, description=f"writing {out}")
        save_h5(dataset, out, layout=layout)
        bar.update(task, advance=1)
    document = {"file": str(out), "layout": layout, **dataset.summary()}
    if json_output:
        emit_json(document)
        return
    sizes = "/".join(str(split["n"]) for split in document["splits"].values())
    counts = document["splits"]["train"]["motifs_per_sequence"]
    balance = document["splits"]["train"]["label_balance"]
    console.print(f"wrote {out} ({layout} layout): {document['n_sequences']} sequences of {document['input_length']} nt, train/valid/test {sizes}", highlight=False)
    console.print(f"tasks ({document['n_tasks']}): {', '.join(document['task_names'])}", highlight=False)
    console.print(
        f"train: mean positive fraction {sum(balance.values()) / len(balance):.3f}, "
        f"motifs per sequence {counts['mean']:.2f} ({counts['min']}-{counts['max']})",
        highlight=False,
    )


@app.command("regulatory-code")
def regulatory_code(
    out: Path = typer.Option(..., "-o", "--out", help=OUT_HELP),
    layout: str = typer.Option("seqlens", "--layout", help=LAYOUT_HELP),
    n: int = typer.Option(20_000, "--n", help="Number of sequences (half positive, half negative)."),
    length: int = typer.Option(200, "--length", help="Sequence length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    release: str = typer.Option("2016", "--release", help="JASPAR release (CORE vertebrates non-redundant)."),
    motifs: str | None = typer.Option(None, "--motifs", help=MOTIFS_HELP + f" Default: {','.join(REGULATORY_CODE_CORE)}."),
    n_background_motifs: int = typer.Option(50, "--n-background-motifs", help="Number of other JASPAR motifs in the negatives' pool."),
    motifs_per_seq: str | None = typer.Option(None, "--motifs-per-seq", help=K_HELP),
    background_gc: float | None = typer.Option(None, "--background-gc", help=GC_HELP),
    background: str | None = typer.Option(None, "--background", help=BACKGROUND_HELP),
    no_reverse_complement: bool = typer.Option(False, "--no-reverse-complement", help="Pool forward PPMs only."),
    exclude_lookalikes: bool = typer.Option(False, "--exclude-lookalikes", help="Drop background motifs Tomtom finds similar to a core motif."),
    lookalike_statistic: str = typer.Option("evalue", "--lookalike-statistic", help="Tomtom statistic for --exclude-lookalikes: pvalue, evalue or qvalue."),
    lookalike_threshold: float = typer.Option(0.1, "--lookalike-threshold", help="Look-alike when the statistic is <= this."),
    split: str = typer.Option("0.7,0.1,0.2", "--split", help=SPLIT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the dataset summary as one JSON document on stdout."),
) -> None:
    """The binary regulatory-code task: positives from 5 core TFs, negatives add 50 other motifs."""
    _check_layout(layout)
    options = dict(
        n=n,
        length=length,
        core=_motif_list(motifs, REGULATORY_CODE_CORE),
        n_background_motifs=n_background_motifs,
        release=_release(release),
        motifs_per_seq=_motifs_per_seq(motifs_per_seq, REGULATORY_CODE_MOTIFS_PER_SEQ),
        exclude_lookalikes=exclude_lookalikes,
        lookalike_statistic=lookalike_statistic,
        lookalike_threshold=lookalike_threshold,
        reverse_complements=not no_reverse_complement,
        split=_numbers(split, "--split", 3),
        seed=seed,
        **_background(background, background_gc),
    )
    _build_and_write(lambda: regulatory_code_dataset(**options), n, out, layout, json_output)


@app.command("multitask")
def multitask(
    out: Path = typer.Option(..., "-o", "--out", help=OUT_HELP),
    layout: str = typer.Option("seqlens", "--layout", help=LAYOUT_HELP),
    n: int = typer.Option(30_000, "--n", help="Number of sequences."),
    length: int = typer.Option(200, "--length", help="Sequence length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    release: str = typer.Option("2016", "--release", help="JASPAR release (CORE vertebrates non-redundant)."),
    motifs: str | None = typer.Option(None, "--motifs", help=MOTIFS_HELP + f" Default: {','.join(MULTITASK_TFS)}."),
    motifs_per_seq: str | None = typer.Option(None, "--motifs-per-seq", help=K_HELP),
    background_gc: float | None = typer.Option(None, "--background-gc", help=GC_HELP),
    background: str | None = typer.Option(None, "--background", help=BACKGROUND_HELP),
    no_reverse_complement: bool = typer.Option(False, "--no-reverse-complement", help="Pool forward PPMs only."),
    split: str = typer.Option("0.7,0.1,0.2", "--split", help=SPLIT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the dataset summary as one JSON document on stdout."),
) -> None:
    """The multitask task: one label per TF (12 by default), 1 if the TF occurs on either strand."""
    _check_layout(layout)
    options = dict(
        n=n,
        length=length,
        tfs=_motif_list(motifs, MULTITASK_TFS),
        release=_release(release),
        motifs_per_seq=_motifs_per_seq(motifs_per_seq, MULTITASK_MOTIFS_PER_SEQ),
        reverse_complements=not no_reverse_complement,
        split=_numbers(split, "--split", 3),
        seed=seed,
        **_background(background, background_gc),
    )
    _build_and_write(lambda: multitask_dataset(**options), n, out, layout, json_output)
