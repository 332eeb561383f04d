"""The attribution method registry: one table that the library, the attribution file and the CLI read.

Every attribution method seqlens knows is one :class:`MethodSpec` in this table. The spec
says how to call the method (a callable, or a lazy ``"module:function"`` reference), what
kind of map it returns, whether it is a gradient method (stored raw and corrected; angles
scored on the raw map), how its maps reduce to one score per position, its default
parameters (the papers' settings), which parameters take the run's seed, what ``batch_size``
counts for it, and which parameters ``seqlens attribute`` exposes as options.

Everything else derives from the table:

- :func:`seqlens.attribution.canonical_methods` / :func:`default_params` /
  :func:`seqlens.attribution.attribute_split` (names, aliases, defaults, seeding, the call);
- :data:`METHOD_ALIASES`, :data:`GRADIENT_METHODS`, :data:`METHOD_KINDS`: live read-only
  views (they follow :func:`register` / :func:`unregister`);
- :attr:`seqlens.attribution.MethodMaps.reduction` and ``.gradient`` (scoring, plots);
- ``seqlens attribute`` (``--methods`` help, per-method options, ``--batch-size`` help) and
  ``seqlens score``.

Adding a method: write its module (``method(model, X, target=0, batch_size=..., device=None,
verbose=False, **params) -> (N, 4, L)`` tensor; gradient methods also take ``correct``), then
add one :class:`MethodSpec` to ``_BUILTIN`` below (or call :func:`register` from your own
code). See "How to add an attribution method" in ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ..errors import SeqlensError

#: Kinds of map a method can return (see :mod:`seqlens.attribution.io`).
KINDS = ("hypothetical", "ism_delta")
#: Position-score reductions (what :func:`seqlens.evaluation.position_scores` accepts).
REDUCTIONS = ("sum", "l2")

Kind = Literal["hypothetical", "ism_delta"]
Reduction = Literal["sum", "l2"]


@dataclass(frozen=True)
class MethodOption:
    """One method parameter that ``seqlens attribute`` exposes as a command-line option.

    flag : the option, e.g. ``"--ig-steps"`` (unique over all registered methods).
    param : the keyword argument of the method it sets, e.g. ``"steps"``; its type and
        default come from the method's :attr:`MethodSpec.defaults`.
    help : the option's help text.
    min : smallest accepted value (numbers only), or None.
    """

    flag: str
    param: str
    help: str
    min: float | None = None

    def __post_init__(self):
        if not isinstance(self.flag, str) or not self.flag.startswith("--") or not self.dest.isidentifier():
            raise SeqlensError(f"option flag must look like '--name-of-option', got {self.flag!r}")

    @property
    def dest(self) -> str:
        """The Python name of the option (``"--ig-steps"`` -> ``"ig_steps"``)."""
        return self.flag[2:].replace("-", "_")


@dataclass(frozen=True)
class MethodSpec:
    """One attribution method: everything the library, the file and the CLI need to know.

    name : canonical name (lower case, no ``/``), the key of its maps in attribution files.
    function : the method, ``function(model, X, target=0, batch_size=..., device=None,
        verbose=False, **params)`` returning an ``(N, 4, L)`` tensor for ``X`` ``(N, 4, L)``;
        or a lazy reference ``"package.module:function"`` imported on first use.
    kind : ``"hypothetical"`` (a value for every letter; position score from ``map * X``) or
        ``"ism_delta"`` (``f(mutant) - f(wild type)``, 0 at the observed letter).
    gradient : a gradient method: it takes ``correct``; :func:`attribute_split` calls it with
        ``correct=False`` and stores the raw map and ``correct_gradients(raw)``; gradient
        angles are scored on the raw map.
    reduction : how a map becomes one score per position (``"sum"``: ``sum_a map * X``;
        ``"l2"``: L2 norm over the letters at the observed letter); default ``"l2"`` for
        ``ism_delta`` maps and ``"sum"`` otherwise.
    aliases : other names accepted wherever a method is named (e.g. ``"ig"``).
    defaults : default keyword arguments (the papers' settings; JSON-able values).
    seeded : parameters (keys of ``defaults``) set to the run's seed.
    batch_unit : what one row of ``batch_size`` is for this method ("sequences",
        "noisy copies", "path points", "mutants", ...).
    options : parameters exposed by ``seqlens attribute`` (:class:`MethodOption`).
    description : one line for help texts.
    run_by_default : computed by ``seqlens attribute`` when ``--methods`` is not given.
    """

    name: str
    function: Callable | str
    kind: Kind
    gradient: bool = False
    reduction: Reduction | None = None
    aliases: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    seeded: tuple[str, ...] = ()
    batch_unit: str = "sequences"
    options: tuple[MethodOption, ...] = ()
    description: str = ""
    run_by_default: bool = True

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or "/" in self.name or self.name != self.name.strip().lower():
            raise SeqlensError(f"method name must be a non-empty lower-case string without '/', got {self.name!r}")
        if self.kind not in KINDS:
            raise SeqlensError(f"method {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        reduction = self.reduction or ("l2" if self.kind == "ism_delta" else "sum")
        if reduction not in REDUCTIONS:
            raise SeqlensError(f"method {self.name!r}: reduction must be one of {REDUCTIONS}, got {self.reduction!r}")
        object.__setattr__(self, "reduction", reduction)
        if not (callable(self.function) or (isinstance(self.function, str) and ":" in self.function)):
            raise SeqlensError(f"method {self.name!r}: function must be a callable or a 'module:function' reference")
        aliases = tuple(str(a).strip().lower() for a in self.aliases)
        if self.name in aliases or len(set(aliases)) != len(aliases) or not all(aliases):
            raise SeqlensError(f"method {self.name!r}: aliases must be distinct non-empty names other than the method's")
        object.__setattr__(self, "aliases", aliases)
        defaults = dict(self.defaults)
        try:
            json.dumps(defaults)
        except TypeError as exc:
            raise SeqlensError(f"method {self.name!r}: defaults must be JSON-able: {exc}") from None
        object.__setattr__(self, "defaults", MappingProxyType(defaults))
        object.__setattr__(self, "seeded", tuple(self.seeded))
        object.__setattr__(self, "options", tuple(self.options))
        missing = [p for p in (*self.seeded, *(o.param for o in self.options)) if p not in defaults]
        if missing:
            raise SeqlensError(f"method {self.name!r}: seeded parameters and options must have defaults; missing {missing}")
        for option in self.options:
            if not isinstance(option, MethodOption):
                raise SeqlensError(f"method {self.name!r}: options must be MethodOption, got {type(option).__name__}")
            value = defaults[option.param]
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise SeqlensError(f"method {self.name!r}: option {option.flag} needs an int, float or str default, got {value!r}")

    def __hash__(self) -> int:  # defaults is a mapping; the name identifies a method
        return hash((self.name, self.kind))

    def params(self, seed: int | None = 0) -> dict:
        """Default keyword arguments with the seeded ones set to ``seed`` (a new dict)."""
        return {key: (seed if key in self.seeded else value) for key, value in self.defaults.items()}

    def resolve(self) -> Callable:
        """The method itself (imports a lazy ``"module:function"`` reference)."""
        if callable(self.function):
            return self.function
        module, _, attribute = self.function.partition(":")
        try:
            return getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise SeqlensError(f"method {self.name!r}: cannot import {self.function!r}: {exc}") from None


# ------------------------------------------------------------------------------------------
# the table

_BUILTIN = (
    MethodSpec(
        name="saliency",
        function="seqlens.attribution.gradients:saliency",
        kind="hypothetical",
        gradient=True,
        description="input gradient",
    ),
    MethodSpec(
        name="smoothgrad",
        function="seqlens.attribution.gradients:smoothgrad",
        kind="hypothetical",
        gradient=True,
        defaults={"n": 50, "sigma": 0.1, "seed": 0},
        seeded=("seed",),
        batch_unit="noisy copies",
        options=(
            MethodOption("--smoothgrad-samples", "n", "SmoothGrad: noisy copies per sequence.", min=1),
            MethodOption("--smoothgrad-sigma", "sigma", "SmoothGrad: noise SD.", min=0.0),
        ),
        description="mean gradient over noisy copies",
    ),
    MethodSpec(
        name="integrated_gradients",
        function="seqlens.attribution.gradients:integrated_gradients",
        kind="hypothetical",
        gradient=True,
        aliases=("ig",),
        defaults={"steps": 20, "baselines": "shuffle", "n_baselines": 1, "rule": "trapezoid", "seed": 0},
        seeded=("seed",),
        batch_unit="path points",
        options=(MethodOption("--ig-steps", "steps", "Integrated gradients: path intervals (trapezoid rule).", min=1),),
        description=(
            "integrated gradients from ONE shuffled copy of each sequence (20 trapezoid intervals); "
            "not paper 002's integrated gradients, which average 10 shuffled references: "
            "integrated_gradients_10_shuffled"
        ),
    ),
    MethodSpec(
        # Paper 002 (Koo & Ploenzke 2021, Methods): "integrated gradients ... from 20 sequences
        # that linearly interpolate between a reference sequence and the query sequence. We
        # average the integrated gradients score across 10 different reference sequences
        # generated from random shuffles of the query sequence." The same function as
        # integrated_gradients with 10 baselines, i.e. expected_gradients with n_references=10
        # (same seed: the same maps). Not run by default: it costs 10x integrated_gradients.
        name="integrated_gradients_10_shuffled",
        function="seqlens.attribution.gradients:integrated_gradients",
        kind="hypothetical",
        gradient=True,
        aliases=("ig_shuffled10",),
        defaults={"steps": 20, "baselines": "shuffle", "n_baselines": 10, "rule": "trapezoid", "seed": 0},
        seeded=("seed",),
        batch_unit="path points",
        description=(
            "paper 002's integrated gradients: the path-averaged gradient (20 trapezoid intervals) "
            "averaged over 10 shuffled copies of each sequence as baselines "
            "(= expected_gradients with n_references=10)"
        ),
        run_by_default=False,
    ),
    MethodSpec(
        name="expected_gradients",
        function="seqlens.attribution.gradients:expected_gradients",
        kind="hypothetical",
        gradient=True,
        aliases=("eg",),
        defaults={"n_references": 20, "steps": 20, "references": "shuffle", "rule": "trapezoid", "seed": 0},
        seeded=("seed",),
        batch_unit="path points",
        options=(
            MethodOption("--eg-references", "n_references", "Expected gradients: shuffled references per sequence.", min=1),
            MethodOption("--eg-steps", "steps", "Expected gradients: path intervals per reference.", min=1),
        ),
        description="integrated gradients (20 trapezoid intervals) averaged over 20 shuffled references per sequence",
    ),
    MethodSpec(
        name="deepshap",
        function="seqlens.attribution.deepshap:deepshap",
        kind="hypothetical",
        aliases=("shap",),
        defaults={"n_references": 10, "references": "dinuc_shuffle", "seed": 0},
        seeded=("seed",),
        batch_unit="(sequence, reference) pairs",
        options=(MethodOption("--shap-references", "n_references", "DeepSHAP: dinucleotide-shuffled references per sequence.", min=1),),
        description="DeepLIFT/SHAP hypothetical contributions",
    ),
    MethodSpec(
        name="ism",
        function="seqlens.attribution.ism:ism",
        kind="ism_delta",
        reduction="l2",
        defaults={"fast": True},
        batch_unit="mutants",
        description="in silico mutagenesis",
    ),
)

_REGISTRY: dict[str, MethodSpec] = {}


def _key(name) -> str:
    return str(name).strip().lower()


def _alias_index() -> dict[str, str]:
    return {alias: spec.name for spec in _REGISTRY.values() for alias in spec.aliases}


def register(spec: MethodSpec | None = None, /, *, replace: bool = False, **fields) -> MethodSpec:
    """Add a method to the registry; return its :class:`MethodSpec`.

    Give a ``MethodSpec`` or its fields (``register(name=..., function=..., kind=...)``).
    Its name, aliases and option flags must not clash with a registered method's, unless
    ``replace`` (then the method of the same name is replaced). Options of a method
    registered after :mod:`seqlens.cli` was imported do not appear on the command line.
    """
    if spec is None:
        spec = MethodSpec(**fields)
    elif fields:
        raise SeqlensError("register() takes a MethodSpec or its fields, not both")
    if not isinstance(spec, MethodSpec):
        raise SeqlensError(f"register() expects a MethodSpec, got {type(spec).__name__}")
    others = [s for s in _REGISTRY.values() if not (replace and s.name == spec.name)]
    taken = {n for s in others for n in (s.name, *s.aliases)}
    clash = sorted(taken & {spec.name, *spec.aliases})
    if clash:
        raise SeqlensError(f"attribution method name(s) {clash} already registered (pass replace=True to replace {spec.name!r})")
    flags = {o.flag for s in others for o in s.options}
    clash = sorted(flags & {o.flag for o in spec.options})
    if clash:
        raise SeqlensError(f"option(s) {clash} of method {spec.name!r} already belong to another method")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> MethodSpec:
    """Remove a method (by name or alias) from the registry; return its spec."""
    spec = get_method(name)
    del _REGISTRY[spec.name]
    return spec


def get_method(name: str) -> MethodSpec:
    """The spec of a method named by its name or an alias (case-insensitive).

    Raises :class:`SeqlensError` listing the valid names for an unknown one.
    """
    key = _key(name)
    spec = _REGISTRY.get(key) or _REGISTRY.get(_alias_index().get(key, ""))
    if spec is None:
        raise SeqlensError(f"unknown attribution method {str(name).strip()!r}; valid methods: {describe_names()}")
    return spec


def find_method(name: str) -> MethodSpec | None:
    """The spec of a registered method by exact canonical name, or None (e.g. a file's method)."""
    return _REGISTRY.get(name)


def registered_methods() -> tuple[MethodSpec, ...]:
    """Every registered method's spec, in registration order."""
    return tuple(_REGISTRY.values())


def describe_names() -> str:
    """``"saliency, ..., ism, ig (= integrated_gradients), ..."``: names then aliases, for messages and help."""
    return ", ".join([*_REGISTRY, *(f"{a} (= {n})" for a, n in _alias_index().items())])


def reduction_of(name: str, kind: str) -> Reduction:
    """The position-score reduction of method ``name``; for an unregistered one, by ``kind``."""
    spec = _REGISTRY.get(name)
    if spec is not None:
        return spec.reduction
    return "l2" if kind == "ism_delta" else "sum"


def is_gradient_method(name: str) -> bool:
    """Whether ``name`` is a registered gradient method (raw + corrected maps, angles on raw)."""
    spec = _REGISTRY.get(name)
    return spec is not None and spec.gradient


# ------------------------------------------------------------------------------------------
# live read-only views, for the names that modules imported before the registry existed


class _AliasView(Mapping):
    """alias -> canonical name of every registered method."""

    def __getitem__(self, key):
        return _alias_index()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(_alias_index())

    def __len__(self) -> int:
        return len(_alias_index())

    def __repr__(self) -> str:
        return repr(_alias_index())


class _KindView(Mapping):
    """canonical name -> kind of map of every registered method."""

    def __getitem__(self, key):
        return _REGISTRY[key].kind

    def __iter__(self) -> Iterator[str]:
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __repr__(self) -> str:
        return repr(dict(self))


class _GradientView(Sequence):
    """Names of the registered gradient methods, in registration order (compares like a tuple)."""

    def _names(self) -> tuple[str, ...]:
        return tuple(s.name for s in _REGISTRY.values() if s.gradient)

    def __getitem__(self, index):
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name) -> bool:
        return is_gradient_method(name)

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and self._names() == tuple(other)

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self._names())


#: Short names accepted wherever a method is named (alias -> name); follows the registry.
METHOD_ALIASES: Mapping[str, str] = _AliasView()
#: Methods that return input gradients, stored raw and corrected (paper 003); follows the registry.
GRADIENT_METHODS: Sequence[str] = _GradientView()
#: Kind of map each registered method returns (name -> kind); follows the registry.
METHOD_KINDS: Mapping[str, str] = _KindView()

for _spec in _BUILTIN:
    register(_spec)
del _spec
