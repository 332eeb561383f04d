"""Dataset containers and the files they come from: HDF5, FASTA, BED + genome FASTA.

Submodules:

* :mod:`seqlens.data.containers`: :class:`Split` and :class:`SeqDataset` with their shape
  and content checks, the split names ``SPLITS`` and ``MOTIF_SITE_COLUMNS``;
* :mod:`seqlens.data.ground_truth`: which ground-truth positions are motif and which are
  background (:func:`position_information` relative to the background,
  :func:`background_positions`), the one helper every consumer uses;
* :mod:`seqlens.data.stats`: :func:`summary`, the JSON-ready description of a dataset;
* :mod:`seqlens.data.hdf5`: :func:`load_h5` / :func:`save_h5` in the seqlens and papers'
  layouts, and the split-group readers and writers other HDF5 files reuse;
* :mod:`seqlens.data.fasta`: FASTA files, labels tables and :func:`dataset_from_fasta`;
* :mod:`seqlens.data.splits`: :func:`split_rows` / :func:`split_arrays`, the one
  train/valid/test split;
* :mod:`seqlens.data.bed`: BED intervals and their sequences from a genome FASTA (pyfaidx);
* :mod:`seqlens.data.importing`: :func:`import_fasta` / :func:`import_bed` / :func:`import_h5`,
  real sequence sets into a dataset (classes, given splits, length policy, checks), what
  ``seqlens data import`` runs;
* :mod:`seqlens.data.controls`: control negatives (dinucleotide-shuffled, GC-matched from a
  background FASTA) and :func:`control_baselines` (GC-only and k-mer AUROC);
* :mod:`seqlens.data.named`: :func:`load`, a dataset by name (``irf1``, ``zbed2``,
  ``oct4-mafk``, ``regulatory-code``, ``multitask``) from the data folder (``$SEQLENS_DATA``),
  SHA-256-checked, or from an HDF5 path;
* :mod:`seqlens.data.streaming`: datasets larger than memory: the compact layout (uint8
  codes, chunked), :func:`convert_to_compact` (``seqlens data convert``), :class:`CompactWriter`,
  :func:`open_streaming` / :class:`StreamingSplit` (one-hot batches made per batch, seeded
  chunk-aligned block shuffling) and :func:`attribute_blocks`.
"""

from .bed import extract_regions, read_bed, region_sequences
from .containers import MOTIF_SITE_COLUMNS, SPLITS, SeqDataset, Split, default_task_names
from .fasta import LENGTH_POLICIES, check_records, dataset_from_fasta, fit_length, read_fasta, read_labels
from .importing import import_bed, import_fasta, import_h5
from .controls import (
    add_gc_matched_negatives,
    add_shuffled_negatives,
    background_windows,
    control_baselines,
    gc_content,
    kmer_counts,
)
from .ground_truth import BACKGROUND_TOL, background_positions, check_background, position_information
from .splits import split_arrays, split_rows, split_sizes
from .hdf5 import (
    FORMAT_VERSION,
    LAYOUTS,
    h5_layout,
    load_h5,
    open_h5,
    read_split_group,
    require_dataset,
    save_h5,
    write_split_group,
)
from .stats import summary
from .streaming import (
    COMPACT_FORMAT,
    CompactWriter,
    StreamingSplit,
    attribute_blocks,
    convert_to_compact,
    open_streaming,
    save_compact,
)
from .named import NAMED_DATASETS, available_datasets, data_dir, data_file, load

__all__ = [
    "COMPACT_FORMAT",
    "CompactWriter",
    "StreamingSplit",
    "attribute_blocks",
    "convert_to_compact",
    "open_streaming",
    "save_compact",
    "BACKGROUND_TOL",
    "FORMAT_VERSION",
    "LAYOUTS",
    "LENGTH_POLICIES",
    "MOTIF_SITE_COLUMNS",
    "SPLITS",
    "SeqDataset",
    "Split",
    "add_gc_matched_negatives",
    "add_shuffled_negatives",
    "background_positions",
    "background_windows",
    "check_background",
    "check_records",
    "control_baselines",
    "dataset_from_fasta",
    "default_task_names",
    "extract_regions",
    "fit_length",
    "gc_content",
    "h5_layout",
    "import_bed",
    "import_fasta",
    "import_h5",
    "kmer_counts",
    "load_h5",
    "open_h5",
    "position_information",
    "read_bed",
    "read_fasta",
    "read_labels",
    "read_split_group",
    "region_sequences",
    "require_dataset",
    "save_h5",
    "split_arrays",
    "split_rows",
    "split_sizes",
    "summary",
    "write_split_group",
    "NAMED_DATASETS",
    "available_datasets",
    "data_dir",
    "data_file",
    "load",
]
