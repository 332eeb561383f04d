"""Synthetic DNA with known ground truth.

* :mod:`seqlens.synthetic.billboard`: the generator (:func:`simulate_sequences`, SPEC
  section 2) and the papers' two tasks, :func:`regulatory_code_dataset` (SPEC 2a) and
  :func:`multitask_dataset` (SPEC 2b). They are billboards: the label depends on which
  motifs occur, never on how they are arranged.
* :mod:`seqlens.synthetic.grammar`: tasks whose label depends on syntax, so that global
  importance analysis of interactions can be checked: :func:`cooperative_pair_dataset`
  (two motifs count only at a given spacing and orientation), :func:`ordered_pair_dataset`
  (one motif must be upstream of the other), :func:`repressor_dataset` (a repressor
  cancels an activator within a distance) and :func:`count_threshold_dataset` (at least
  ``k`` copies). Each dataset stores its rule in ``metadata["rule"]`` (JSON), and
  :func:`rule_labels` re-derives the labels of any motif-site table from it.
"""

from .billboard import (
    LOOKALIKE_STATISTICS,
    MULTITASK_MOTIFS_PER_SEQ,
    MULTITASK_TFS,
    ORIGINAL_LOOKALIKES,
    REGULATORY_CODE_CORE,
    REGULATORY_CODE_MOTIFS_PER_SEQ,
    MotifSpec,
    Seed,
    SimulatedSequences,
    check_motifs_per_seq,
    find_lookalikes,
    multitask_dataset,
    regulatory_code_dataset,
    simulate_sequences,
)
from .grammar import (
    COOPERATIVE_DECOYS,
    DISTRACTORS_PER_SEQ,
    GAP_DEFINITION,
    ORIENTATIONS,
    REPRESSOR_DECOYS,
    cooperative_pair_dataset,
    count_threshold_dataset,
    ordered_pair_dataset,
    repressor_dataset,
    rule_labels,
)

__all__ = [
    "COOPERATIVE_DECOYS",
    "DISTRACTORS_PER_SEQ",
    "GAP_DEFINITION",
    "LOOKALIKE_STATISTICS",
    "MULTITASK_MOTIFS_PER_SEQ",
    "MULTITASK_TFS",
    "ORIENTATIONS",
    "ORIGINAL_LOOKALIKES",
    "REGULATORY_CODE_CORE",
    "REGULATORY_CODE_MOTIFS_PER_SEQ",
    "REPRESSOR_DECOYS",
    "MotifSpec",
    "Seed",
    "SimulatedSequences",
    "check_motifs_per_seq",
    "cooperative_pair_dataset",
    "count_threshold_dataset",
    "find_lookalikes",
    "multitask_dataset",
    "ordered_pair_dataset",
    "regulatory_code_dataset",
    "repressor_dataset",
    "rule_labels",
    "simulate_sequences",
]
