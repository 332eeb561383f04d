"""``seqlens simulate``: write the papers' synthetic datasets (or variations of them) to HDF5.

Every option is checked before any sequence is generated (the output file, the JASPAR
release, the motif names, the motif-count distribution, the background, the split), and
errors name the option (``--motifs``, ``--split`` ...) rather than the library's keyword.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import typer

from ..alphabet import background_probs
from ..data import LAYOUTS, save_h5, split_sizes
from ..errors import DataFormatError, MotifError, SeqlensError
from ..io_utils import check_output_file
from ..motifs import load_jaspar, resolve_motifs
from ..synthetic import (
    LOOKALIKE_STATISTICS,
    MULTITASK_MOTIFS_PER_SEQ,
    MULTITASK_TFS,
    REGULATORY_CODE_CORE,
    REGULATORY_CODE_MOTIFS_PER_SEQ,
    check_motifs_per_seq,
    multitask_dataset,
    regulatory_code_dataset,
)
from ._common import as_option, console, emit_json, progress_bar

app = typer.Typer(help="Generate synthetic DNA with ground truth (the tasks of Koo & Ploenzke 2021; see docs/papers.md).", no_args_is_help=True)

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


def _check_common(out: Path, layout: str, n: int, n_min: int, length: int, split: list[float], split_text: str,
                  release, distribution, background: dict) -> None:
    """Check the options every simulate command shares, before anything is generated."""
    _check_layout(layout)
    check_output_file(out, "output file (-o)")
    if n < n_min:
        raise SeqlensError(f"--n must be at least {n_min}, got {n}")
    if length < 1:
        raise SeqlensError(f"--length must be a positive integer, got {length}")
    if any(not 0 <= f < float("inf") for f in split) or abs(sum(split) - 1) > 1e-6 or split[0] == 0:
        raise SeqlensError(f"--split must be three non-negative fractions summing to 1 with a non-empty train split, got {split_text!r}")
    try:
        split_sizes(n, split[1], split[2])
    except DataFormatError as exc:
        raise SeqlensError(f"--n {n} is too small for --split {split_text}: {str(exc).rsplit(': ', 1)[-1]}") from None
    as_option("--motifs-per-seq", lambda: check_motifs_per_seq(distribution), "motifs_per_seq")
    if background["gc"] is not None:
        as_option("--background-gc", lambda: background_probs(None, background["gc"]), "gc")
    else:
        as_option("--background", lambda: background_probs(background["background_probs"]))
    as_option("--release", lambda: load_jaspar(release))


def _check_motifs(names: list[str], release, length: int) -> list:
    """The motifs ``--motifs`` names, looked up in ``--release``; each at most once, each shorter than ``--length``."""
    motifs = as_option("--motifs", lambda: resolve_motifs(names, release))
    seen = {}
    for name, motif in zip(names, motifs):
        if motif.id in seen:
            raise MotifError(f"--motifs names motif {motif.name} ({motif.id}) twice: {seen[motif.id]!r} and {name!r}")
        seen[motif.id] = name
        if motif.width >= length:
            raise MotifError(f"--length {length} is too short for motif {motif.name} ({motif.id}) of width {motif.width}")
    return motifs


#: Library phrases that name a keyword argument, and their command-line wording.
_CLI_TERMS = (
    ("n_background_motifs=", "--n-background-motifs "),
    ("lower k or raise the length", "lower k in --motifs-per-seq or raise --length"),
    ("it can never be placed", "it can never be placed; raise --length"),
)


def _build_and_write(build, n: int, out: Path, layout: str, json_output: bool) -> None:
    """Run ``build()``, write its dataset to ``out``, report a summary (JSON or human)."""
    with progress_bar() as bar:
        task = bar.add_task(f"simulating {n} sequences", total=2)
        try:
            dataset = build()
        except SeqlensError as exc:
            message = str(exc)
            for phrase, cli in _CLI_TERMS:
                message = message.replace(phrase, cli)
            exc.args = (message,)  # reworded in place: --debug still shows where it was raised
            raise
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
    _check_common(out, layout, n, 2, length, options["split"], split, options["release"], options["motifs_per_seq"], options)
    core = _check_motifs(options["core"], options["release"], length)
    if n_background_motifs < 0:
        raise SeqlensError(f"--n-background-motifs must be >= 0, got {n_background_motifs}")
    if lookalike_statistic not in LOOKALIKE_STATISTICS:
        raise SeqlensError(f"--lookalike-statistic must be one of {', '.join(LOOKALIKE_STATISTICS)}, got {lookalike_statistic!r}")
    if not lookalike_threshold >= 0:
        raise SeqlensError(f"--lookalike-threshold must be >= 0, got {lookalike_threshold}")
    core_ids = {m.id for m in core}
    others = [m for m in load_jaspar(options["release"]) if m.id not in core_ids]
    if n_background_motifs > len(others):
        raise MotifError(
            f"--n-background-motifs {n_background_motifs} is more than the {len(others)} other motifs "
            f"of JASPAR {release} CORE vertebrates"
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
    _check_common(out, layout, n, 1, length, options["split"], split, options["release"], options["motifs_per_seq"], options)
    _check_motifs(options["tfs"], options["release"], length)
    _build_and_write(lambda: multitask_dataset(**options), n, out, layout, json_output)
