"""Study files: which models to train and what to compute from each, as validated YAML.

A study names its data, a grid of models (architectures x first-layer activations x
training methods x training-set sizes x seeds) and the analyses run on every model of the
grid. It is a YAML document (read with ``yaml.safe_load``) validated by the pydantic models
below; unknown keys are refused with the key's path and the closest valid name::

    name: my-study
    data: {simulate: regulatory-code, n: 4000, seed: 0}   # or {path: file.h5}
    models:
      architectures: [cnn_local, cnn_dist]
      activations: [relu, exponential]
      training: [standard, {noise: {sigma: 0.1}}]
      seeds: [0, 1, 2]
      epochs: 30
    attribution: {methods: [saliency, ism], corrected: [false, true], limit: 500, positives: true}
    evaluation: [classification, interpretability, angles, filters]

``evaluation`` may also list ``gia`` (global importance analysis, paper 001), set up by an
optional ``gia:`` section (:class:`GIASpec`; every key has a default, so ``evaluation: [gia]``
alone works: the data's rule motifs, dinucleotide-shuffled nulls, the position experiment,
and the spacing experiment when the data has a pair rule).

A file may hold ``scales``: named overrides (``quick``, ``paper``) merged into the rest
before validation; :func:`load_study` applies one. The bundled studies (``studies/``
beside this module; :func:`bundled_studies`) reproduce the five papers (docs/papers.md).
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_serializer, model_validator

from ..errors import SeqlensError, StudyError
from ..validation import did_you_mean

#: The analyses a study can run on each trained model.
EVALUATIONS = ("classification", "controls", "interpretability", "angles", "filters", "gia")

#: Simulated datasets a study can ask for: name -> generator in :mod:`seqlens.synthetic`.
GENERATORS = {
    "regulatory-code": "regulatory_code_dataset",
    "multitask": "multitask_dataset",
    "cooperative-pair": "cooperative_pair_dataset",
    "ordered-pair": "ordered_pair_dataset",
    "repressor": "repressor_dataset",
    "count-threshold": "count_threshold_dataset",
}

BUNDLED_DIR = Path(__file__).with_name("studies")

#: The papers a study can say it reproduces (``reproduces``), by the shorthand of docs/papers.md.
PAPERS = {
    "000": "Koo et al. (2019), Robust neural networks are more interpretable for genomics, bioRxiv, doi:10.1101/657437",
    "001": "Koo & Ploenzke (2020), Global importance analysis, bioRxiv, doi:10.1101/2020.02.19.956896",
    "002": "Koo & Ploenzke (2021), Exponential activations, Nature Machine Intelligence, doi:10.1038/s42256-020-00291-x",
    "003": "Majdandzic, Rajesh & Koo (2023), Correcting gradient-based interpretations, Genome Biology, "
           "doi:10.1186/s13059-023-02956-3",
    "004": "Ghotra, Lee & Koo (2021), Interpretable convolution-based hybrid networks, bioRxiv, "
           "doi:10.1101/2021.07.13.452181",
}


def _first_repeated(values: list):
    """The smallest (as text) value listed more than once in ``values``, or None."""
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    return repeated[0] if repeated else None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _drop_unset(data: dict, *keys: str) -> dict:
    """``data`` without the ``keys`` whose value is None: settings added after folders were
    written are left out of the record while unset, so resuming an older folder sees no change
    (and its units keep their keys)."""
    for key in keys:
        if data.get(key) is None:
            data.pop(key, None)
    return data


class DataSpec(BaseModel):
    """Where the study's sequences come from: ``simulate`` (a generator's name, with its
    keyword options as further keys, e.g. ``n``, ``gc``, ``release``), ``path`` (an HDF5
    dataset, either layout) or ``dataset`` (a named dataset of :func:`seqlens.data.load`,
    e.g. ``irf1``, read from the data folder ``$SEQLENS_DATA`` and checked by checksum)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    simulate: Literal["regulatory-code", "multitask", "cooperative-pair", "ordered-pair", "repressor", "count-threshold"] | None = None
    path: str | None = None
    dataset: str | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _one_source(self):
        if sum(v is not None for v in (self.simulate, self.path, self.dataset)) != 1:
            raise ValueError("give exactly one of 'simulate' (a generator), 'path' (an HDF5 file) or 'dataset' (a named dataset)")
        if self.dataset is not None:
            from ..data import NAMED_DATASETS
            from ..data.named import resolve_name

            if resolve_name(self.dataset) is None:
                raise ValueError(f"unknown dataset {self.dataset!r}{did_you_mean(self.dataset, list(NAMED_DATASETS))}; "
                                 f"known: {', '.join(NAMED_DATASETS)}")
        extra = dict(self.model_extra or {})
        if self.simulate is None and extra:
            raise ValueError(f"unknown key {sorted(extra)[0]!r} (generator options need 'simulate')")
        if self.simulate is not None:
            allowed = [p for p in inspect.signature(self.generator()).parameters if p != "seed"]
            for key in extra:
                if key not in allowed:
                    raise ValueError(f"the {self.simulate} generator has no option {key!r}{did_you_mean(key, allowed)}")
        return self

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        return _drop_unset(handler(self), "dataset")

    def generator(self):
        """The :mod:`seqlens.synthetic` function that makes this data (simulated data only)."""
        from .. import synthetic

        return getattr(synthetic, GENERATORS[self.simulate])

    @property
    def n_sequences(self) -> int | None:
        """How many sequences the data has, where that is known without reading it (a named
        dataset's, a generator's ``n``); None for a file."""
        if self.dataset is not None:
            from ..data.named import resolve_name

            return resolve_name(self.dataset).sequences
        return self.options.get("n")

    @property
    def options(self) -> dict:
        """The generator's keyword options (besides ``seed``)."""
        return dict(self.model_extra or {})


class TrainingSpec(_Strict):
    """One training method of the grid with its parameters (``seqlens.training.training_method``)."""

    method: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value):
        """``noise`` or ``{noise: {sigma: 0.2}}`` in a file; the method name made canonical and checked."""
        from ..training import training_method

        if isinstance(value, str):
            value = {"method": value}
        elif isinstance(value, dict) and len(value) == 1 and "method" not in value:
            (name, params), = value.items()
            value = {"method": name, "params": params or {}}
        if isinstance(value, dict) and isinstance(value.get("method"), str) and isinstance(value.get("params", {}), dict):
            value = {**value, "method": training_method(value["method"], **value.get("params", {})).name}
        return value

    @property
    def label(self) -> str:
        """``noise`` or ``noise(sigma=0.2)``: the method, with the parameters that were given."""
        if not self.params:
            return self.method
        return f"{self.method}({','.join(f'{k}={v}' for k, v in sorted(self.params.items()))})"


class GivenModel(_Strict):
    """A model trained elsewhere that a study evaluates without training it
    (:func:`seqlens.models.load_foreign_model`): a TorchScript or ``torch.export`` file
    ``path``, or ``model_class`` (``package.module:Class``) with ``weights`` (a state dict,
    loaded with ``weights_only=True``) and ``model_kwargs``; ``output`` chooses the head of a
    model returning several (an index or a name), ``reduce`` summarises a profile head,
    ``layer`` names its first convolution. ``name`` is its level of the ``architecture``
    factor. Relative paths are read from the working directory."""

    name: str = Field(min_length=1)
    path: str | None = None
    model_class: str | None = None
    weights: str | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    output: int | str | None = None
    reduce: str | None = None
    layer: str | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.path is None) == (self.model_class is None):
            raise ValueError(f"given model {self.name!r}: give either 'path' (TorchScript / .pt2) or 'model_class' with 'weights'")
        if self.model_class is not None and self.weights is None:
            raise ValueError(f"given model {self.name!r}: 'model_class' needs 'weights'")
        return self

    def files(self) -> list[str]:
        return [f for f in (self.path, self.weights) if f is not None]

    def load(self):
        """The model, a :class:`seqlens.models.ForeignModel` in eval mode on the CPU."""
        from ..models import load_foreign_model

        return load_foreign_model(self.path, model_class=self.model_class, weights=self.weights,
                                  model_kwargs=self.model_kwargs, head=self.output, reduce=self.reduce, layer=self.layer)


class ModelGrid(_Strict):
    """The models of a study and how each is trained; the grid is the product of the lists.

    ``given`` instead of ``architectures``: models trained elsewhere (:class:`GivenModel`),
    one unit each, evaluated on the study's data without training (the other lists and the
    fit settings do not apply).

    ``train_sizes``: use the first k sequences of the training split (null: all of it; the
    validation and test splits are never cut). ``configs``: named sets of model-config
    overrides (``seqlens.models.ModelConfig`` fields), a factor of the grid, e.g.
    ``{regularised: {}, unregularised: {regularized: false}}``; ``options``: overrides
    every model takes. The fit settings are :func:`seqlens.training.fit`'s.
    """

    architectures: list[str] = Field(default_factory=list)
    given: list[GivenModel] = Field(default_factory=list)
    activations: list[str] = Field(default_factory=lambda: ["relu"], min_length=1)
    training: list[TrainingSpec] = Field(default_factory=lambda: [TrainingSpec(method="standard")], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    train_sizes: list[int | None] = Field(default_factory=lambda: [None], min_length=1)
    configs: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"default": {}}, min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)
    epochs: int = 100
    batch_size: int = 100
    lr: float = 1e-3
    lr_decay: float = 0.3
    lr_patience: int = 5
    early_stopping_patience: int | None = 10
    monitor: Literal["auroc", "aupr", "loss"] | None = None
    l2: float | None = None
    rc_augment: bool = False

    @field_validator("architectures")
    @classmethod
    def _known_architectures(cls, names):
        from ..models import available

        known = available()
        for name in names:
            if name not in known:
                raise ValueError(f"unknown architecture {name!r}{did_you_mean(name, known)}")
        return names

    @field_validator("activations")
    @classmethod
    def _known_activations(cls, names):
        from ..models import ACTIVATIONS

        for name in names:
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}{did_you_mean(name, ACTIVATIONS)}")
        return names

    @field_validator("train_sizes")
    @classmethod
    def _positive_sizes(cls, sizes):
        for size in sizes:
            if size is not None and size < 1:
                raise ValueError(f"a training-set size must be a positive integer or null (all), got {size}")
        return sizes

    @field_validator("seeds", "architectures", "activations", "train_sizes")
    @classmethod
    def _distinct(cls, values):
        repeated = _first_repeated(values)
        if repeated is not None:
            raise ValueError(f"{repeated} is listed twice")
        return values

    @field_validator("configs")
    @classmethod
    def _config_names(cls, configs):
        for name in configs:
            if not name or not name.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"config name {name!r} must be letters, digits, '-' or '_'")
        return configs

    @model_validator(mode="after")
    def _check_fit(self):
        from ..training import check_fit_arguments

        check_fit_arguments(self.epochs, self.batch_size, self.lr, self.lr_decay, self.lr_patience,
                            self.early_stopping_patience, self.monitor, self.l2)
        labels = [t.label for t in self.training]
        repeated = _first_repeated(labels)
        if repeated is not None:
            raise ValueError(f"training method {repeated} is listed twice")
        if bool(self.architectures) == bool(self.given):
            raise ValueError("give 'architectures' (models to train) or 'given' (models trained elsewhere), one of them")
        repeated = _first_repeated([g.name for g in self.given])
        if repeated is not None:
            raise ValueError(f"given model name {repeated!r} is used twice")
        return self

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        data = handler(self)
        if not data.get("given"):  # older folders record no 'given'
            data.pop("given", None)
        return data

    def fit_settings(self) -> dict:
        """The keyword arguments of :func:`seqlens.training.fit` every model of the grid shares."""
        keys = ("epochs", "batch_size", "lr", "lr_decay", "lr_patience", "early_stopping_patience", "monitor",
                "l2", "rc_augment")
        return {key: getattr(self, key) for key in keys}


class AttributionSpec(_Strict):
    """Attribution maps computed from every model: for which sequences, by which methods."""

    methods: list[str] = Field(default_factory=lambda: ["saliency"], min_length=1)
    corrected: list[bool] = Field(default_factory=lambda: [False, True], min_length=1)
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    limit: int = Field(default=500, ge=0)  # 0: every selected sequence
    positives: bool = True
    target: int | str = 0
    batch_size: int | None = Field(default=None, gt=0)
    keep_maps: int = Field(default=8, ge=0)  # maps of the first sequences kept per model, for the report's logos

    @field_validator("methods")
    @classmethod
    def _canonical(cls, names):
        from ..attribution import canonical_methods

        return canonical_methods(names)

    @property
    def variants(self) -> list[str]:
        """Map variants scored for gradient methods: ``raw`` and/or ``corrected``."""
        return [("corrected" if c else "raw") for c in dict.fromkeys(self.corrected)]


class ScoringSpec(_Strict):
    """How maps are scored against the ground truth (``seqlens score``)."""

    convention: Literal["002", "003"] = "002"
    threshold: float | None = None
    top_k: int = Field(default=20, gt=0)


class FilterSpec(_Strict):
    """How first-layer filters are matched to motifs (``seqlens filters``); ``tfs``: the
    ground-truth TFs (JASPAR names) for real data, whose tasks name none."""

    jaspar: int | str = 2016
    evalue: float | None = 0.1
    qvalue: float | None = None
    criterion: Literal["best", "any"] = "best"
    tfs: list[str] | None = None

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        return _drop_unset(handler(self), "tfs")


#: The GIA experiments a study can run on each model (``gia.experiments``).
GIA_EXPERIMENTS = ("position", "spacing", "copies")


class GIASpec(_Strict):
    """Global importance analysis of every model (``evaluation: [gia]``; paper 001).

    ``motifs``: patterns to embed (:func:`seqlens.gia.as_pattern` specs: JASPAR name or ID,
    consensus, ``FILE.meme:NAME``), or ``auto``: the rule motifs of a grammar dataset
    (``metadata["rule_motifs"]``), else its ``core_motifs`` / ``tfs``. ``null``: where the
    null sequences come from (``dinuc``, ``profile``, ``shuffle`` or ``negatives`` of
    ``split``); ``n_null`` of them, drawn with ``seed``, the same for every model.
    ``experiments``: default ``position``, plus ``spacing`` (first two motifs) when the data
    has a pair rule and ``copies`` for a count rule. ``positions`` (starts, a list or
    ``"FIRST:LAST[:STEP]"``; default every 5th), ``distances`` (gaps of the spacing
    experiment; default 0 .. max(40, rule spacing + 20), what fits), ``orientations``
    (default the rule's and the one with B flipped), ``copies`` (1 .. k copies, ``gap`` nt
    apart). ``randomized_control``: also run the position experiment on a parameter-
    randomised copy of each model (variant ``randomized``).
    """

    motifs: Literal["auto"] | list[str] = "auto"
    null: Literal["dinuc", "profile", "shuffle", "negatives"] = "dinuc"
    n_null: int = Field(default=500, ge=2)
    experiments: list[Literal["position", "spacing", "copies"]] | None = Field(default=None, min_length=1)
    positions: list[int] | str | None = None
    distances: list[int] | str | None = None
    orientations: list[Literal["++", "+-", "-+", "--"]] | None = Field(default=None, min_length=1)
    copies: int = Field(default=3, ge=1)
    gap: int = Field(default=10, ge=0)
    target: int | str = 0
    split: Literal["train", "valid", "test"] = "test"
    randomized_control: bool = True
    n_resamples: int = Field(default=2000, ge=10)
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _null_key(cls, value):
        """YAML reads an unquoted ``null:`` key as None: it means the ``null`` setting."""
        if isinstance(value, dict) and None in value:
            value = {("null" if key is None else key): item for key, item in value.items()}
        return value

    @field_validator("motifs", mode="before")
    @classmethod
    def _one_motif(cls, motifs):
        return [motifs] if isinstance(motifs, str) and motifs != "auto" else motifs

    @field_validator("motifs")
    @classmethod
    def _some_motifs(cls, motifs):
        if isinstance(motifs, list):
            if not motifs:
                raise ValueError("list at least one motif, or say auto (the data's rule motifs)")
            repeated = _first_repeated(motifs)
            if repeated is not None:
                raise ValueError(f"{repeated} is listed twice")
        return motifs

    @field_validator("positions", "distances")
    @classmethod
    def _ranges(cls, value, info):
        from ..gia import parse_int_range

        if isinstance(value, str):
            try:
                parse_int_range(value, info.field_name)  # checked now; kept as written
            except ValueError as exc:
                raise ValueError(str(exc).removeprefix(f"{info.field_name}: ")) from None
        elif isinstance(value, list):
            if not value:
                raise ValueError("no values given")
            if min(value) < 0:
                raise ValueError(f"values must be >= 0, got {min(value)}")
        return value

    @field_validator("experiments", "orientations")
    @classmethod
    def _distinct(cls, values):
        repeated = None if values is None else _first_repeated(values)
        if repeated is not None:
            raise ValueError(f"{repeated} is listed twice")
        return values

    @model_validator(mode="after")
    def _spacing_needs_two(self):
        if self.experiments and "spacing" in self.experiments and isinstance(self.motifs, list) and len(self.motifs) < 2:
            raise ValueError("experiment 'spacing' needs two motifs (A and B) in 'motifs'")
        return self

    def integers(self, name: str) -> list[int] | None:
        """``positions`` or ``distances`` as a list of ints (None: the default)."""
        from ..gia import parse_int_range

        value = getattr(self, name)
        return parse_int_range(value, f"gia.{name}") if isinstance(value, str) else value


class Claim(_Strict):
    """A comparative claim of a paper, checked against the study's paired comparisons.

    ``factor`` (a grid factor, or ``variant``: raw vs corrected maps, or trained vs
    randomized models of the GIA position experiment) at level ``b`` is
    expected to be ``greater`` (or ``less``) than at level ``a``, for the results rows that
    match ``where`` (columns of ``results.csv``: ``analysis``, ``method``, ``variant``,
    ``metric``, ``architecture`` ...). ``paper``: the paper's numbers, as text.
    """

    id: str
    text: str
    factor: Literal["architecture", "config", "activation", "training", "train_size", "variant"]
    a: str | int
    b: str | int
    expect: Literal["greater", "less"] = "greater"
    where: dict[str, str | int | float] = Field(default_factory=dict)
    paper: str = ""


class Study(_Strict):
    """A validated study: see the module docstring for the file format."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: str = ""
    question: str = ""
    reproduces: list[str] = Field(default_factory=list)
    scale: str | None = None
    data: DataSpec
    models: ModelGrid
    attribution: AttributionSpec | None = None
    evaluation: list[Literal["classification", "controls", "interpretability", "angles", "filters", "gia"]] = \
        Field(default_factory=lambda: ["classification"], min_length=1)
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)
    filters: FilterSpec = Field(default_factory=FilterSpec)
    gia: GIASpec | None = None  # filled in with its defaults when evaluation lists gia
    claims: list[Claim] = Field(default_factory=list)

    @field_validator("claims")
    @classmethod
    def _distinct_claims(cls, claims):
        ids = [c.id for c in claims]
        repeated = _first_repeated(ids)
        if repeated is not None:
            raise ValueError(f"claim id {repeated!r} is used twice")
        return claims

    @field_validator("reproduces")
    @classmethod
    def _known_papers(cls, keys):
        for key in keys:
            if key not in PAPERS:
                raise ValueError(f"unknown paper {key!r}; the papers are {', '.join(PAPERS)} (docs/papers.md)")
        return keys

    @model_validator(mode="before")
    @classmethod
    def _gia_defaults(cls, document):
        """``evaluation: [gia]`` without a ``gia`` section takes every default."""
        if isinstance(document, dict) and isinstance(document.get("evaluation"), list) \
                and "gia" in document["evaluation"] and document.get("gia") is None:
            document = {**document, "gia": {}}
        return document

    @model_validator(mode="after")
    def _gia_section_needs_gia(self):
        if self.gia is not None and "gia" not in self.evaluation:
            raise ValueError("a 'gia' section needs 'gia' in evaluation")
        return self

    @model_validator(mode="after")
    def _needs_attribution(self):
        needs = [e for e in self.evaluation if e in ("interpretability", "angles")]
        if needs and self.attribution is None:
            raise ValueError(f"evaluation {needs[0]!r} needs an 'attribution' section (methods to compute)")
        return self

    def resolved(self) -> dict:
        """Every setting, defaults filled in, as JSON-ready data (what the output folder records)."""
        return self.model_dump(mode="json")


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class found at ``loc`` inside ``root`` (for suggesting field names)."""
    model: Any = root
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union) or type(annotation).__name__ == "UnionType":
        for arg in get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _error_line(err: dict) -> str:
    loc = tuple(err["loc"])
    where = ".".join(str(part) for part in loc)
    if err["type"] == "extra_forbidden":
        parent = _model_at(Study, loc[:-1])
        hint = did_you_mean(loc[-1], parent.model_fields) if parent is not None else ""
        return f"unknown key {where!r}{hint}"
    if err["type"] == "missing":
        return f"missing key {where!r}"
    message = err["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_study(document: dict, source: str = "study") -> Study:
    """Validate a study given as parsed YAML; :class:`StudyError` naming ``source`` and the key when bad."""
    if not isinstance(document, dict):
        raise StudyError(f"{source}: a study is a YAML mapping (name, data, models, ...), got {type(document).__name__}")
    try:
        return Study.model_validate(document)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda err: err["type"] != "extra_forbidden")  # a typo explains the rest
        lines = [_error_line(err) for err in errors]
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        raise StudyError(f"{source}: {lines[0]}{more}") from None
    except SeqlensError as exc:  # raised by a library check outside pydantic's wrapping
        raise StudyError(f"{source}: {exc}") from None


def _merge(base: dict, override: dict) -> dict:
    """``base`` with ``override`` merged in, mappings recursively (lists and scalars replaced)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def bundled_studies() -> dict[str, Path]:
    """Name -> YAML file of every study shipped with seqlens."""
    return {path.stem: path for path in sorted(BUNDLED_DIR.glob("*.yaml"))}


def read_study_document(source: str | Path) -> tuple[dict, str]:
    """The parsed YAML of a bundled study's name or a study file, and how to name it in messages."""
    bundled = bundled_studies()
    if isinstance(source, str) and source in bundled:
        path, label = bundled[source], f"study {source}"
    else:
        path = Path(source)
        label = str(path)
        if not path.is_file():
            if path.suffix.lower() not in (".yaml", ".yml"):
                raise StudyError(f"unknown study {str(source)!r}{did_you_mean(str(source), bundled)}; "
                                 f"bundled: {', '.join(bundled)} (or give a YAML file)")
            raise FileNotFoundError(f"study file not found: {path}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise StudyError(f"{label}: not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from None
    return document, label


def load_study(source: str | Path, scale: str | None = None) -> Study:
    """The study named ``source`` (bundled) or in the YAML file ``source``, at ``scale``.

    A file with ``scales`` has ``scale`` (default: ``quick``) merged into the rest; a file
    without them takes no ``scale``. Raises :class:`StudyError` (one line, naming the file
    and the key) for bad content and FileNotFoundError for a missing file.
    """
    document, label = read_study_document(source)
    if not isinstance(document, dict):
        raise StudyError(f"{label}: a study is a YAML mapping (name, data, models, ...), got {type(document).__name__}")
    scales = document.pop("scales", None) or {}
    if not isinstance(scales, dict):
        raise StudyError(f"{label}: 'scales' must map scale names (quick, paper) to overrides")
    if scales:
        scale = scale or ("quick" if "quick" in scales else next(iter(scales)))
        if scale not in scales:
            raise StudyError(f"{label} has no scale {scale!r}; it has {', '.join(scales)}")
        document = _merge(document, scales[scale] or {})
        document["scale"] = scale
    elif scale is not None:
        raise StudyError(f"{label} defines no scales; run it without --scale")
    return parse_study(document, label)


def describe_studies() -> list[dict]:
    """Each bundled study: name, title, question, what it reproduces, and its grid size per scale."""
    from .units import grid_size

    described = []
    for name in bundled_studies():
        document, _ = read_study_document(name)
        scales = {}
        for scale in (document.get("scales") or {}):
            study = load_study(name, scale)
            scales[scale] = {"units": grid_size(study), "sequences": study.data.n_sequences,
                             "seeds": len(study.models.seeds), "epochs": study.models.epochs}
        base = load_study(name)
        described.append({"name": name, "title": base.title, "question": " ".join(base.question.split()),
                          "reproduces": base.reproduces,
                          "citation": "; ".join(PAPERS[key] for key in base.reproduces), "scales": scales})
    return described
