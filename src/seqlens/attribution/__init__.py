"""Attribution methods with off-simplex gradient correction (SPEC section 5; papers 002, 003).

All methods share one call shape (tangermeme style)::

    method(model, X, target=0, batch_size=..., device=None, ..., verbose=False)

``X`` is one-hot ``(N, 4, L)``; ``target`` an output index or a LongTensor ``(N,)``; the
result is an ``(N, 4, L)`` CPU tensor. The model runs in eval mode on ``device`` (default:
its own) and gets its device and per-module train/eval flags back afterwards, also when it
raises. Any ``nn.Module`` mapping ``(B, 4, L)`` to ``(B, T)`` works; ``func`` post-processes
its output before the target is selected.

Gradient methods (:func:`saliency`, :func:`smoothgrad`, :func:`integrated_gradients`,
:func:`expected_gradients`) return hypothetical (gradient-like) maps, corrected by default
(``correct=True``: paper 003 found the correction improves every gradient map and
recommends always applying it); ``correct=False`` gives the raw map, and
``correct_gradients(raw)`` equals the corrected one. :func:`deepshap` returns hypothetical
contributions; :func:`ism` returns ``f(mutant) - f(wild type)`` (and, for global
importance analysis, :func:`patch_predictions` the ``(N, P)`` outputs with a patch written
at each of ``P`` positions, :func:`variant_predictions` the ``(N, K, P)`` outputs for ``K``
shared variants such as every k-mer). Turn a hypothetical map into scores with :func:`times_input`,
and into one score per position with :func:`reduce_sum` / :func:`reduce_l2_norm` (both
combined by :func:`seqlens.evaluation.position_scores`).

:func:`attribute_split` runs several methods over rows of a data split and returns an
:class:`AttributionSet` (maps + provenance) that :func:`save_attributions` writes to HDF5.

Every method is one entry of :mod:`seqlens.attribution.registry` (:class:`MethodSpec`: name,
aliases, kind of map, gradient or not, position-score reduction, default parameters, what
``batch_size`` counts, CLI options); :func:`register` adds one.
"""

from .correction import (
    correct_gradients,
    gradient_angles,
    reduce_l2_norm,
    reduce_sum,
    times_input,
)
from .deepshap import deepshap, has_rescale_rule
from .gradients import IG_RULES, expected_gradients, integrated_gradients, saliency, smoothgrad
from .ism import ism, patch_predictions, substitutions, variant_predictions
from .predictions import target_outputs
from .references import REFERENCE_KINDS, make_references
from .io import AttributionSet, MethodMaps, load_attributions, save_attributions
from .registry import (
    GRADIENT_METHODS,
    METHOD_KINDS,
    MethodOption,
    MethodSpec,
    get_method,
    register,
    registered_methods,
    unregister,
)
from .sets import METHOD_ALIASES, attribute_split, canonical_methods, default_params, select_rows

__all__ = [
    "GRADIENT_METHODS",
    "IG_RULES",
    "METHOD_ALIASES",
    "METHOD_KINDS",
    "MethodOption",
    "MethodSpec",
    "get_method",
    "register",
    "registered_methods",
    "unregister",
    "AttributionSet",
    "MethodMaps",
    "attribute_split",
    "canonical_methods",
    "default_params",
    "load_attributions",
    "save_attributions",
    "select_rows",
    "REFERENCE_KINDS",
    "correct_gradients",
    "deepshap",
    "expected_gradients",
    "gradient_angles",
    "has_rescale_rule",
    "integrated_gradients",
    "ism",
    "make_references",
    "patch_predictions",
    "reduce_l2_norm",
    "reduce_sum",
    "saliency",
    "smoothgrad",
    "substitutions",
    "target_outputs",
    "variant_predictions",
    "times_input",
]

