"""Global importance analysis (paper 001, SPEC section 7): the population-level effect of a
putative feature, measured as the paired change of a model's prediction when the feature is
embedded in null sequences.

- :mod:`~seqlens.gia.nulls`: null sequences (dinucleotide / mononucleotide shuffles, the
  position profile of a set, real sequences) and :func:`null_diagnostics` (the GC mirage);
- :mod:`~seqlens.gia.patterns`: what to embed (consensus, PPM, one-hot, JASPAR, MEME) and
  :func:`embed`;
- :mod:`~seqlens.gia.effects`: per-condition statistics of paired effects
  (bootstrap CI, Wilcoxon, t, Cohen's d_z, BH q-values).

Example::

    from seqlens.gia import effect_table, embed, null_sequences, pattern_sequences
    nulls = null_sequences(dataset.test.X, 1000, method="dinuc", seed=0)
    with_sp1 = embed(nulls, pattern_sequences("SP1", len(nulls)), position=90)
"""

from .effects import EFFECT_COLUMNS, effect_statistics, effect_table
from .nulls import (DINUCLEOTIDES, NULL_METHODS, dinucleotide_frequencies, drop_extreme_nulls, gc_content,
                    null_diagnostics, null_sequences)
from .patterns import STRANDS, Pattern, as_pattern, embed, pattern_sequences

__all__ = ["DINUCLEOTIDES", "EFFECT_COLUMNS", "NULL_METHODS", "STRANDS", "Pattern", "as_pattern",
           "dinucleotide_frequencies", "drop_extreme_nulls", "effect_statistics", "effect_table", "embed",
           "gc_content", "null_diagnostics", "null_sequences", "pattern_sequences"]
