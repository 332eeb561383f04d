"""``seqlens simulate``: write the papers' synthetic datasets (or variations of them) to HDF5.

Every option is checked before any sequence is generated (the output file, the JASPAR
release, the motif names, the motif-count distribution, the background, the split), and
errors name the option (``--motifs``, ``--split`` ...) rather than the library's keyword.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import typer

from ..alphabet import background_probs
from ..data import LAYOUTS, save_h5, split_sizes
from ..errors import DataFormatError, MotifError, SeqlensError
from ..io_utils import check_output_file
from ..motifs import load_jaspar, resolve_motifs
from ..synthetic import (
    COOPERATIVE_DECOYS,
    DISTRACTORS_PER_SEQ,
    LOOKALIKE_STATISTICS,
    MULTITASK_MOTIFS_PER_SEQ,
    MULTITASK_TFS,
    ORIENTATIONS,
    REGULATORY_CODE_CORE,
    REGULATORY_CODE_MOTIFS_PER_SEQ,
    REPRESSOR_DECOYS,
    check_motifs_per_seq,
    cooperative_pair_dataset,
    count_threshold_dataset,
    multitask_dataset,
    ordered_pair_dataset,
    regulatory_code_dataset,
    repressor_dataset,
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


def _motifs_per_seq(text: str | None, default: Mapping[int, float], option: str = "--motifs-per-seq") -> Mapping[int, float]:
    if text is None:
        return default
    distribution = {}
    for pair in text.split(","):
        k, sep, p = pair.partition(":")
        if not sep:
            raise SeqlensError(f"{option} entries must look like k:probability, got {pair!r}")
        try:
            distribution[int(k)] = float(p)
        except ValueError:
            raise SeqlensError(f"{option} entry {pair!r} is not an integer k and a probability") from None
    return distribution


def _shares(text: str | None, default: Mapping[str, float], option: str) -> Mapping[str, float]:
    """``kind:share`` pairs, e.g. ``'spacing:0.5,a-only:0.5'`` (the library checks the kinds)."""
    if text is None:
        return dict(default)
    shares = {}
    for pair in text.split(","):
        kind, sep, p = pair.strip().rpartition(":")
        if not sep or not kind:
            raise SeqlensError(f"{option} entries must look like kind:share, got {pair!r}")
        try:
            shares[kind] = float(p)
        except ValueError:
            raise SeqlensError(f"{option} entry {pair!r} does not end in a number") from None
    return shares


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
                  release, distribution, background: dict, distribution_option: str = "--motifs-per-seq") -> None:
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
    as_option(distribution_option, lambda: check_motifs_per_seq(distribution), "motifs_per_seq")
    if background["gc"] is not None:
        as_option("--background-gc", lambda: background_probs(None, background["gc"]), "gc")
    else:
        as_option("--background", lambda: background_probs(background["background_probs"]))
    as_option("--release", lambda: load_jaspar(release))


def _check_motifs(names: list[str], release, length: int, flag: str = "--motifs") -> list:
    """The motifs ``flag`` names, looked up in ``--release``; each at most once, each shorter than ``--length``."""
    motifs = as_option(flag, lambda: resolve_motifs(names, release))
    seen = {}
    for name, motif in zip(names, motifs):
        if motif.id in seen:
            raise MotifError(f"{flag} names motif {motif.name} ({motif.id}) twice: {seen[motif.id]!r} and {name!r}")
        seen[motif.id] = name
        if motif.width >= length:
            raise MotifError(f"--length {length} is too short for motif {motif.name} ({motif.id}) of width {motif.width}")
    return motifs


#: Library phrases that name a keyword argument, and their command-line wording.
_CLI_TERMS = (
    ("n_background_motifs=", "--n-background-motifs "),
    ("lower k or raise the length", "lower k in --motifs-per-seq or raise --length"),
    ("it can never be placed", "it can never be placed; raise --length"),
    ("raise length", "raise --length"),
)


def _build_and_write(build, n: int, out: Path, layout: str, json_output: bool, reword=None) -> None:
    """Run ``build()``, write its dataset to ``out``, report a summary (JSON or human).

    A library error is reworded for the command line (``_CLI_TERMS``, then ``reword(message)``)."""
    with progress_bar() as bar:
        task = bar.add_task(f"simulating {n} sequences", total=2)
        try:
            dataset = build()
        except SeqlensError as exc:
            message = str(exc)
            for phrase, cli in _CLI_TERMS:
                message = message.replace(phrase, cli)
            if reword is not None:
                message = reword(message)
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


# ----------------------------------------------------------------------------------------
# grammar tasks: the label follows a syntax rule, stored in the file's metadata["rule"]

DISTRACTORS_HELP = "Comma-separated JASPAR names or matrix IDs of distractor motifs laid out around the rule's sites (default: none)."
DISTRACTORS_K_HELP = (f"Distractors per sequence as k:probability pairs (used with --distractors; default "
                      f"{','.join(f'{k}:{p}' for k, p in DISTRACTORS_PER_SEQ.items())}).")
GAP_HELP = "in nt: start of the downstream site minus end of the upstream site (forward strand)"


def _grammar_options(n, length, seed, release, distractors, distractors_per_seq, background, background_gc,
                     no_reverse_complement, split) -> dict:
    return dict(
        n=n,
        length=length,
        distractors=[] if distractors is None else _motif_list(distractors, ()),
        distractors_per_seq=_motifs_per_seq(distractors_per_seq, DISTRACTORS_PER_SEQ, "--distractors-per-seq"),
        release=_release(release),
        reverse_complements=not no_reverse_complement,
        split=_numbers(split, "--split", 3),
        seed=seed,
        **_background(background, background_gc),
    )


def _grammar_run(build, options: dict, out: Path, layout: str, split_text: str, rule_motifs: dict, json_output: bool) -> None:
    """Check the shared options and the motifs, then build and write (the library checks the rule's numbers)."""
    _check_common(out, layout, options["n"], 2, options["length"], options["split"], split_text, options["release"],
                  options["distractors_per_seq"], options, distribution_option="--distractors-per-seq")
    for flag, name in rule_motifs.items():
        as_option(flag, lambda: resolve_motifs([name], options["release"]))
    if options["distractors"]:
        _check_motifs(options["distractors"], options["release"], options["length"], "--distractors")
    _build_and_write(lambda: build(**options), options["n"], out, layout, json_output, reword=_grammar_flags)


#: Keywords of the grammar generators as the library's messages name them, and their options.
_GRAMMAR_KEYWORDS = ("distractors_per_seq", "max_spacing", "max_distance", "far_fraction", "max_copies", "motif_a",
                     "motif_b", "decoys", "distractors")
_GRAMMAR_VALUES = ("spacing", "tolerance", "orientation", "distance", "threshold", "activator", "repressor", "motif")


def _grammar_flags(message: str) -> str:
    """``max_spacing=5`` -> ``--max-spacing 5``, ``decoys`` -> ``--decoys``, ``spacing must`` -> ``--spacing must``."""
    for name in _GRAMMAR_KEYWORDS:
        message = re.sub(rf"(?<![\w-]){name}=", f"--{name.replace('_', '-')} ", message)
        message = re.sub(rf"(?<![\w-]){name}(?![\w-])", f"--{name.replace('_', '-')}", message)
    for name in _GRAMMAR_VALUES:
        message = re.sub(rf"(?<![\w-]){name}(=| must)", lambda m: f"--{name} " if m.group(1) == "=" else f"--{name} must", message)
    return message


@app.command("cooperative-pair")
def cooperative_pair(
    out: Path = typer.Option(..., "-o", "--out", help=OUT_HELP),
    layout: str = typer.Option("seqlens", "--layout", help=LAYOUT_HELP),
    n: int = typer.Option(10_000, "--n", help="Number of sequences (half positive, half negative)."),
    length: int = typer.Option(200, "--length", help="Sequence length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    release: str = typer.Option("2016", "--release", help="JASPAR release (CORE vertebrates non-redundant)."),
    motif_a: str = typer.Option("GATA1", "--motif-a", help="The upstream motif A (JASPAR name or matrix ID)."),
    motif_b: str = typer.Option("TAL1::TCF3", "--motif-b", help="The downstream motif B."),
    spacing: int = typer.Option(20, "--spacing", help=f"Spacing of a positive pair, {GAP_HELP}."),
    tolerance: int = typer.Option(2, "--tolerance", help="Positives have spacing +- tolerance."),
    orientation: str = typer.Option("++", "--orientation", help=f"Strands of A and B: one of {', '.join(ORIENTATIONS)}."),
    max_spacing: int | None = typer.Option(None, "--max-spacing", help="Largest gap of the wrong-spacing negatives (default: the largest that fits)."),
    decoys: str | None = typer.Option(None, "--decoys", help="Negative kinds as kind:share pairs; default " + ",".join(f"{k}:{p}" for k, p in COOPERATIVE_DECOYS.items()) + "."),
    distractors: str | None = typer.Option(None, "--distractors", help=DISTRACTORS_HELP),
    distractors_per_seq: str | None = typer.Option(None, "--distractors-per-seq", help=DISTRACTORS_K_HELP),
    background_gc: float | None = typer.Option(None, "--background-gc", help=GC_HELP),
    background: str | None = typer.Option(None, "--background", help=BACKGROUND_HELP),
    no_reverse_complement: bool = typer.Option(False, "--no-reverse-complement", help="Distractors on the forward strand only."),
    split: str = typer.Option("0.7,0.1,0.2", "--split", help=SPLIT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the dataset summary as one JSON document on stdout."),
) -> None:
    """Cooperative pair: label 1 iff A is upstream of B at --spacing +- --tolerance in --orientation."""
    options = _grammar_options(n, length, seed, release, distractors, distractors_per_seq, background, background_gc,
                               no_reverse_complement, split)
    options.update(motif_a=motif_a, motif_b=motif_b, spacing=spacing, tolerance=tolerance, orientation=orientation,
                   max_spacing=max_spacing, decoys=_shares(decoys, COOPERATIVE_DECOYS, "--decoys"))
    _grammar_run(cooperative_pair_dataset, options, out, layout, split, {"--motif-a": motif_a, "--motif-b": motif_b}, json_output)


@app.command("ordered-pair")
def ordered_pair(
    out: Path = typer.Option(..., "-o", "--out", help=OUT_HELP),
    layout: str = typer.Option("seqlens", "--layout", help=LAYOUT_HELP),
    n: int = typer.Option(10_000, "--n", help="Number of sequences (half positive, half negative)."),
    length: int = typer.Option(200, "--length", help="Sequence length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    release: str = typer.Option("2016", "--release", help="JASPAR release (CORE vertebrates non-redundant)."),
    motif_a: str = typer.Option("SP1", "--motif-a", help="Motif A: positives have it upstream of B."),
    motif_b: str = typer.Option("CEBPB", "--motif-b", help="Motif B."),
    max_spacing: int | None = typer.Option(None, "--max-spacing", help=f"Largest gap between A and B, {GAP_HELP} (default: the largest that fits)."),
    distractors: str | None = typer.Option(None, "--distractors", help=DISTRACTORS_HELP),
    distractors_per_seq: str | None = typer.Option(None, "--distractors-per-seq", help=DISTRACTORS_K_HELP),
    background_gc: float | None = typer.Option(None, "--background-gc", help=GC_HELP),
    background: str | None = typer.Option(None, "--background", help=BACKGROUND_HELP),
    no_reverse_complement: bool = typer.Option(False, "--no-reverse-complement", help="Every site on the forward strand."),
    split: str = typer.Option("0.7,0.1,0.2", "--split", help=SPLIT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the dataset summary as one JSON document on stdout."),
) -> None:
    """Ordered pair: label 1 iff A is upstream of B (negatives have B upstream of A)."""
    options = _grammar_options(n, length, seed, release, distractors, distractors_per_seq, background, background_gc,
                               no_reverse_complement, split)
    options.update(motif_a=motif_a, motif_b=motif_b, max_spacing=max_spacing)
    _grammar_run(ordered_pair_dataset, options, out, layout, split, {"--motif-a": motif_a, "--motif-b": motif_b}, json_output)


@app.command("repressor")
def repressor(
    out: Path = typer.Option(..., "-o", "--out", help=OUT_HELP),
    layout: str = typer.Option("seqlens", "--layout", help=LAYOUT_HELP),
    n: int = typer.Option(10_000, "--n", help="Number of sequences (half positive, half negative)."),
    length: int = typer.Option(200, "--length", help="Sequence length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    release: str = typer.Option("2016", "--release", help="JASPAR release (CORE vertebrates non-redundant)."),
    activator: str = typer.Option("CEBPB", "--activator", help="The activator motif."),
    repressor_motif: str = typer.Option("YY1", "--repressor", help="The repressor motif."),
    distance: int = typer.Option(20, "--distance", help=f"The repressor cancels the activator at a gap <= this, {GAP_HELP}, either side."),
    far_fraction: float = typer.Option(0.5, "--far-fraction", help="Share of positives with a repressor beyond --distance."),
    max_distance: int | None = typer.Option(None, "--max-distance", help="Largest gap of a far repressor (default: the largest that fits)."),
    decoys: str | None = typer.Option(None, "--decoys", help="Negative kinds as kind:share pairs; default " + ",".join(f"{k}:{p}" for k, p in REPRESSOR_DECOYS.items()) + "."),
    distractors: str | None = typer.Option(None, "--distractors", help=DISTRACTORS_HELP),
    distractors_per_seq: str | None = typer.Option(None, "--distractors-per-seq", help=DISTRACTORS_K_HELP),
    background_gc: float | None = typer.Option(None, "--background-gc", help=GC_HELP),
    background: str | None = typer.Option(None, "--background", help=BACKGROUND_HELP),
    no_reverse_complement: bool = typer.Option(False, "--no-reverse-complement", help="Every site on the forward strand."),
    split: str = typer.Option("0.7,0.1,0.2", "--split", help=SPLIT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the dataset summary as one JSON document on stdout."),
) -> None:
    """Repressor: label 1 iff the activator has no repressor within --distance."""
    options = _grammar_options(n, length, seed, release, distractors, distractors_per_seq, background, background_gc,
                               no_reverse_complement, split)
    options.update(activator=activator, repressor=repressor_motif, distance=distance, far_fraction=far_fraction,
                   max_distance=max_distance, decoys=_shares(decoys, REPRESSOR_DECOYS, "--decoys"))
    _grammar_run(repressor_dataset, options, out, layout, split, {"--activator": activator, "--repressor": repressor_motif}, json_output)


@app.command("count-threshold")
def count_threshold(
    out: Path = typer.Option(..., "-o", "--out", help=OUT_HELP),
    layout: str = typer.Option("seqlens", "--layout", help=LAYOUT_HELP),
    n: int = typer.Option(10_000, "--n", help="Number of sequences (half positive, half negative)."),
    length: int = typer.Option(200, "--length", help="Sequence length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    release: str = typer.Option("2016", "--release", help="JASPAR release (CORE vertebrates non-redundant)."),
    motif: str = typer.Option("SP1", "--motif", help="The counted motif."),
    threshold: int = typer.Option(3, "--threshold", help="Positives have at least this many copies, negatives 1 to threshold - 1."),
    max_copies: int | None = typer.Option(None, "--max-copies", help="Most copies in a positive (default: threshold + 2)."),
    distractors: str | None = typer.Option(None, "--distractors", help=DISTRACTORS_HELP),
    distractors_per_seq: str | None = typer.Option(None, "--distractors-per-seq", help=DISTRACTORS_K_HELP),
    background_gc: float | None = typer.Option(None, "--background-gc", help=GC_HELP),
    background: str | None = typer.Option(None, "--background", help=BACKGROUND_HELP),
    no_reverse_complement: bool = typer.Option(False, "--no-reverse-complement", help="Every copy on the forward strand."),
    split: str = typer.Option("0.7,0.1,0.2", "--split", help=SPLIT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the dataset summary as one JSON document on stdout."),
) -> None:
    """Count threshold: label 1 iff the motif occurs at least --threshold times."""
    options = _grammar_options(n, length, seed, release, distractors, distractors_per_seq, background, background_gc,
                               no_reverse_complement, split)
    options.update(motif=motif, threshold=threshold, max_copies=max_copies)
    _grammar_run(count_threshold_dataset, options, out, layout, split, {"--motif": motif}, json_output)
