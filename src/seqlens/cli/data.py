"""``seqlens data``: inspect dataset files (and say what other seqlens files are), and import
real sequence sets (FASTA, BED + genome, HDF5) into a dataset file."""

from __future__ import annotations

from pathlib import Path

import h5py
import typer
from rich.table import Table

from ..data import h5_layout, load_h5
from ..errors import DataFormatError, SeqlensError
from ..io_utils import check_output_file
from ._common import console, emit_json

app = typer.Typer(help="Inspect datasets (HDF5 in the seqlens or the papers' layout) and import FASTA / BED sets.", no_args_is_help=True)


def _format_balance(balance: dict | None) -> str:
    if balance is None:
        return "-"
    if len(balance) <= 3:
        return ", ".join(f"{task} {frac:.3f}" for task, frac in balance.items())
    fractions = list(balance.values())
    return f"mean {sum(fractions) / len(fractions):.3f} ({min(fractions):.3f}-{max(fractions):.3f})"


def _format_motif_counts(counts: dict | None) -> str:
    if counts is None:
        return "-"
    return f"{counts['mean']:.2f} ({counts['min']}-{counts['max']})"


def _not_a_dataset(file: Path, error: DataFormatError) -> DataFormatError | None:
    """The error to report for a file :func:`load_h5` refused, or None for an attribution file."""
    from ..attribution.io import is_attribution_file

    if not file.is_file():
        return error
    if not h5py.is_hdf5(file):
        empty = " (it is empty)" if file.stat().st_size == 0 else ""
        return DataFormatError(
            f"{file} is not an HDF5 file{empty}; `seqlens data info` reads HDF5 datasets "
            "(seqlens or the papers' layout, e.g. from `seqlens simulate`) and attribution files (`seqlens attribute`)"
        )
    return None if is_attribution_file(file) else error


def _attribution_info(file: Path, json_output: bool) -> None:
    from ..attribution.io import attribution_file_info

    info = attribution_file_info(file)
    document = {"file": str(file), **info, "read_by": "seqlens score"}
    if json_output:
        emit_json(document)
        return
    methods = ", ".join(f"{name} ({'+'.join(variants)})" for name, variants in info["methods"].items()) or "none"
    task = f" ({info['task_name']})" if info["task_name"] else ""
    split = f" of split {info['split']}" if info["split"] else ""
    console.print(f"{file} is an attribution file (written by `seqlens attribute`), not a dataset; score it with `seqlens score {file}`", highlight=False, soft_wrap=True)
    console.print(
        f"{info['n']} sequence(s) of {info['input_length']} nt{split}, output {info['target']}{task}; "
        f"ground truth {'stored' if info['has_ground_truth'] else 'not stored (score with --data)'}",
        highlight=False,
    )
    console.print(f"methods: {methods}", highlight=False)
    for key in ("model_dir", "data_path", "seed", "seqlens_version"):
        if info[key] is not None:
            console.print(f"{key}: {info[key]}", highlight=False)


@app.command("info")
def info(
    file: Path = typer.Argument(..., help="HDF5 dataset file (or an attribution file, which it recognises)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Summarise a dataset: split sizes, label balance, motifs per sequence, ground truth."""
    try:
        dataset = load_h5(file)
    except DataFormatError as exc:
        error = _not_a_dataset(file, exc)
        if error is not None:
            raise error from None
        _attribution_info(file, json_output)
        return
    document = {"file": str(file), "layout": h5_layout(file), **dataset.summary()}
    if json_output:
        emit_json(document)
        return
    # The file on a line of its own: as the table's title it would wrap at the table's width.
    console.print(f"{file} ({document['layout']} layout)", highlight=False, soft_wrap=True)
    table = Table()
    for column in ("split", "N", "length", "fraction positive", "motifs/seq (range)", "GT coverage"):
        table.add_column(column)
    for name, split in document["splits"].items():
        coverage = split["ground_truth_coverage"]
        table.add_row(
            name,
            str(split["n"]),
            str(split["length"]),
            _format_balance(split["label_balance"]),
            _format_motif_counts(split["motifs_per_sequence"]),
            "-" if coverage is None else f"{coverage:.3f}",
        )
    console.print(table)
    sources = list(dict.fromkeys(s["motifs_per_seq_source"] for s in document["splits"].values() if s["motifs_per_seq_source"]))
    if sources:
        notes = {"motif table": "from the motif site table",
                 "ground-truth runs": "counted as ground-truth runs (no motif table: abutting motifs merge, so it undercounts)"}
        console.print(f"motifs/seq: {'; '.join(notes.get(s, s) for s in sources)}", highlight=False)
    console.print(f"tasks ({document['n_tasks']}): {', '.join(document['task_names'])}", highlight=False)
    if document["metadata"]:
        console.print(f"metadata keys: {', '.join(document['metadata'])}", highlight=False)


def _class_option(values: list[str] | None, flag: str, named: bool) -> dict[str, list[str]] | list[str] | None:
    """``NAME=FILE`` values of a repeated option as ``{name: [files]}`` (``named``), or plain files."""
    if not values:
        return None
    if not named:
        bad = next((v for v in values if "=" in v and not Path(v).exists()), None)
        if bad is not None:
            raise SeqlensError(f"{flag} {bad}: with --fasta, give files (labels come from --labels / --header-label)")
        return list(values)
    out: dict[str, list[str]] = {}
    for value in values:
        name, sep, file = value.partition("=")
        if not sep or not name.strip() or not file:
            raise SeqlensError(f"{flag} takes NAME=FILE (e.g. {flag} oct4=oct4.fa), got {value!r}")
        out.setdefault(name.strip(), []).append(file)
    return out


def _cli_wording(call):
    """``call()``, with the library's keyword names in its messages turned into the options'."""
    try:
        return call()
    except SeqlensError as exc:
        message = str(exc)
        for name, flag in (("length_policy=", "--length-policy "), ("length=", "--length "),
                           ("shuffled_negatives / gc_matched", "--shuffled-negatives / --gc-matched"),
                           ("header_label", "--header-label"), ("valid_fraction", "--valid-fraction"),
                           ("test_fraction", "--test-fraction"), ("n_policy", "--n-policy")):
            message = message.replace(name, flag)
        exc.args = (message,)
        raise


@app.command("import")
def import_data(
    out: Path = typer.Option(..., "-o", "--out", help="HDF5 dataset file to write."),
    classes: list[str] | None = typer.Option(
        None, "--class", metavar="NAME=FILE", help="NAME=FILE: training sequences of class NAME (FASTA, or BED with --genome); "
        "repeat for each class or file. Two classes make one task named after the first (1 = first class)."),
    test: list[str] | None = typer.Option(None, "--test", metavar="NAME=FILE", help="NAME=FILE (FILE with --fasta): kept as the test split."),
    valid: list[str] | None = typer.Option(None, "--valid", metavar="NAME=FILE", help="NAME=FILE (FILE with --fasta): kept as the valid split."),
    fasta: list[Path] | None = typer.Option(None, "--fasta", metavar="FILE", help="FASTA file(s) labelled by --labels or --header-label."),
    labels: Path | None = typer.Option(None, "--labels", help="Labels table (TSV, or CSV): name, then one column per task."),
    header_label: str | None = typer.Option(None, "--header-label", help="KEY: labels from KEY=VALUE in each FASTA header (numbers, or class names)."),
    genome: Path | None = typer.Option(None, "--genome", help="Genome FASTA: the --class/--test/--valid files are BED regions in it (pyfaidx)."),
    h5: Path | None = typer.Option(None, "--h5", help="HDF5 dataset (seqlens or papers' layout) to import as it is split."),
    length: int | None = typer.Option(None, "--length", help="Sequence length; with --genome, the window around each region's centre."),
    length_policy: str = typer.Option("error", "--length-policy", help="crop (centre-crop longer) | pad (pad shorter with N, crop longer) | error."),
    n_policy: str = typer.Option("zeros", "--n-policy", help="What N becomes: zeros | uniform | error."),
    valid_fraction: float = typer.Option(0.1, "--valid-fraction", help="Fraction of the training records for valid, unless --valid is given."),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="Fraction of the training records for test, unless --test is given."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and the controls."),
    shuffled_negatives: bool = typer.Option(False, "--shuffled-negatives", help="Add a dinucleotide-shuffled copy of every positive, labelled 0."),
    gc_matched: Path | None = typer.Option(None, "--gc-matched", help="Background FASTA: add a GC-matched window per positive, labelled 0."),
    gc_bins: int = typer.Option(20, "--gc-bins", help="GC bins over [0, 1] for --gc-matched."),
    layout: str = typer.Option("seqlens", "--layout", help="seqlens | papers."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Import FASTA files (one per class, or with labels), BED regions of a genome, or an HDF5
    dataset into a dataset file, with an explicit length policy and optional control negatives."""
    from ..data import LAYOUTS, import_bed, import_fasta, import_h5, save_h5

    if layout not in LAYOUTS:
        raise SeqlensError(f"--layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    sources = [flag for flag, given in (("--class", classes), ("--fasta", fasta), ("--h5", h5)) if given]
    if len(sources) != 1:
        raise SeqlensError("give one input: --class NAME=FILE ..., --fasta FILE ... with --labels/--header-label, or --h5 FILE"
                           + (f" (got {' and '.join(sources)})" if sources else ""))
    if genome is not None and not classes:
        raise SeqlensError("--genome reads BED files given with --class NAME=FILE.bed")
    check_output_file(out, "dataset file (-o)")
    controls = {"shuffled_negatives": shuffled_negatives, "gc_matched": gc_matched, "gc_bins": gc_bins}
    if h5 is not None:
        if test or valid or labels or header_label:
            raise SeqlensError("--h5 keeps the file's splits and labels; --test, --valid, --labels and --header-label do not apply")
        dataset = _cli_wording(lambda: import_h5(h5, length=length, seed=seed, **controls))
    else:
        named = bool(classes)
        splits = {"test": _class_option(test, "--test", named), "valid": _class_option(valid, "--valid", named)}
        common = dict(length=length, length_policy=length_policy, n_policy=n_policy, valid_fraction=valid_fraction,
                      test_fraction=test_fraction, seed=seed, **splits, **controls)
        if genome is not None:
            dataset = _cli_wording(lambda: import_bed(_class_option(classes, "--class", True), genome, **common))
        elif named:
            if labels or header_label:
                raise SeqlensError("--labels / --header-label label --fasta files; --class files are labelled by their class")
            dataset = _cli_wording(lambda: import_fasta(_class_option(classes, "--class", True), **common))
        else:
            dataset = _cli_wording(lambda: import_fasta(fasta=fasta, labels=labels, header_label=header_label, **common))
    save_h5(dataset, out, layout=layout)
    document = {"file": str(out), "layout": layout, **dataset.summary()}
    if json_output:
        emit_json(document)
        return
    sizes = ", ".join(f"{name} {split['n']}" for name, split in document["splits"].items())
    console.print(f"wrote {out} ({layout} layout): {sizes}; length {dataset.input_length}; "
                  f"tasks {', '.join(dataset.task_names)}", highlight=False, soft_wrap=True)
    for control in dataset.metadata.get("controls", []):
        console.print(f"control {control['kind']}: added {sum(control['added'].values())} negatives", highlight=False)


@app.command("convert")
def convert(
    source: Path = typer.Argument(..., help="HDF5 dataset (seqlens or the papers' layout) to convert."),
    out: Path = typer.Argument(..., help="Compact-layout HDF5 file to write."),
    chunk_rows: int = typer.Option(1024, "--chunk-rows", help="Rows per HDF5 chunk (and per block read from the input)."),
    compression: str = typer.Option("gzip", "--compression", help="gzip | lzf | none."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Convert a dataset to the compact layout (uint8 codes, chunked) that `fit` and attribution
    can stream from without loading it; the input is read block by block."""
    from ..data import convert_to_compact
    from ..data.hdf5 import read_h5_header
    from ..data.streaming import COMPRESSIONS

    if chunk_rows < 1:
        raise SeqlensError(f"--chunk-rows must be an integer >= 1, got {chunk_rows}")
    if compression not in COMPRESSIONS:
        raise SeqlensError(f"--compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}")
    check_output_file(out, "compact dataset file (OUT)")
    if source.resolve() == out.resolve():
        raise SeqlensError(f"OUT must differ from the input file {source}")
    convert_to_compact(source, out, chunk_rows=chunk_rows, compression=compression)
    header = read_h5_header(out)
    document = {"file": str(out), "layout": "compact", "source": str(source), "chunk_rows": chunk_rows,
                "compression": compression, "sizes": header.sizes, "input_length": header.input_length,
                "task_names": header.task_names}
    if json_output:
        emit_json(document)
        return
    sizes = ", ".join(f"{name} {n}" for name, n in header.sizes.items())
    console.print(f"wrote {out} (compact layout, {chunk_rows} rows per chunk, {compression}): {sizes}; "
                  f"length {header.input_length}; tasks {', '.join(header.task_names)}", highlight=False, soft_wrap=True)
