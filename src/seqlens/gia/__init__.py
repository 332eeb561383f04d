"""Global importance analysis (paper 001, SPEC section 7): the population-level effect of a
putative feature, measured as the paired change of a model's prediction when the feature is
embedded in null sequences.

- :mod:`~seqlens.gia.nulls`: null sequences (dinucleotide / mononucleotide shuffles, the
  position profile of a set, real sequences) and :func:`null_diagnostics` (the GC mirage);
- :mod:`~seqlens.gia.patterns`: what to embed (consensus, PPM, one-hot, JASPAR, MEME) and
  :func:`embed`;
- :mod:`~seqlens.gia.effects`: per-condition statistics of paired effects
  (bootstrap CI, Wilcoxon, t, Cohen's d_z, BH q-values);
- :mod:`~seqlens.gia.experiments`: the experiments (position, copies, spacing and
  interaction, outputs, occlusion, k-mers, flanks), each returning a :class:`GIAResult`;
- :mod:`~seqlens.gia.analysis`: :func:`analyze`, one experiment of a model on a dataset
  split with its nulls and their diagnostics (what ``seqlens gia`` runs).

Example::

    from seqlens.gia import null_sequences, position_effects
    nulls = null_sequences(dataset.test.X, 1000, method="dinuc", seed=0)
    result = position_effects(model, nulls, "SP1")   # result.table: one row per position
"""

from .analysis import ANALYSES, NULL_SOURCES, GIAAnalysis, analyze, choose_nulls, parse_int_range
from .effects import CI_METHODS, EFFECT_COLUMNS, effect_statistics, effect_table
from .experiments import (OCCLUSION_METHODS, ORIENTATIONS, GIAResult, across_models, copy_effects, effect_matrix,
                          flank_effects, gc_flank, kmer_effects, kmer_mutagenesis, occlusion_effects, output_effects,
                          position_effects, spacing_effects)
from .nulls import (DINUCLEOTIDES, NULL_METHODS, dinucleotide_frequencies, drop_extreme_nulls, gc_content,
                    null_diagnostics, null_sequences)
from .patterns import STRANDS, Pattern, as_pattern, embed, pattern_sequences

__all__ = ["ANALYSES", "NULL_SOURCES", "GIAAnalysis", "analyze", "choose_nulls", "parse_int_range", "CI_METHODS", "DINUCLEOTIDES", "EFFECT_COLUMNS", "NULL_METHODS", "OCCLUSION_METHODS", "ORIENTATIONS",
           "STRANDS", "GIAResult", "Pattern", "across_models", "as_pattern", "copy_effects",
           "dinucleotide_frequencies", "drop_extreme_nulls", "effect_matrix", "effect_statistics", "effect_table",
           "embed", "flank_effects", "gc_content", "gc_flank", "kmer_effects", "kmer_mutagenesis", "null_diagnostics",
           "null_sequences", "occlusion_effects", "output_effects", "pattern_sequences", "position_effects",
           "spacing_effects"]
