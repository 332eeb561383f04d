"""``ModelConfig``: everything needed to rebuild a zoo model, as validated JSON-able data.

A config names a zoo architecture and the overrides applied to it. Fields left ``None``
mean "the architecture's default"; :func:`seqlens.models.build_from_config` resolves them
and stores the fully resolved config on the model (``model.config``), so that saving and
re-building is exact and idempotent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ModelError

InitScheme = Literal[
    "glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
    "lecun_normal", "lecun_uniform", "normal",
]

PositiveInt = Field(default=None, gt=0)
DropoutRate = Annotated[float, Field(ge=0, lt=1)]


class ModelConfig(BaseModel):
    """Architecture name plus overrides (``None`` = the architecture's default).

    Fields:
        name: zoo name, see :func:`seqlens.models.available`.
        input_length: sequence length L of the ``(N, 4, L)`` input (default: the paper's,
            600 for basset, 400 for residualbind, 200 otherwise).
        n_outputs: number of logits T (default: 12 for cnn_2/cnn_50/cnn_deep, 164 for
            basset, 1 otherwise).
        activation, activation_kwargs: first-layer activation and its parameters
            (e.g. ``{"scale": 0.5}`` for ``exponential``); every other layer uses ReLU.
        filters: number of first-layer filters (also the residual block's and the hybrid
            baselines' later convolutions, which must match it).
        dense_units: width of the hidden dense layer(s).
        dropout: one rate per dropout site, in network order (default: the paper's).
        dropout_scale: multiplies every rate (0 switches dropout off).
        batch_norm: batch norm after every hidden conv/dense layer.
        conv_bias: bias on hidden convolutions (default: off when batch norm follows).
        regularized: False switches off batch norm, dropout and L2 in one go (the
            "unregularised" LocalNet/DistNet of seed 000); explicit fields still win.
        init, init_std: weight initialisation (Keras semantics); ``init_std`` is the
            standard deviation of ``init="normal"``.
        l2: strength of the L2 penalty on weights, used by training (1e-6 for the CNNs,
            0 for hybrids and unregularised models); see :func:`seqlens.models.l2_penalty`.
        mha_heads, key_size, lstm_units, ff_units: hybrid models only (an error on the
            CNNs; stored as None by hybrids without that layer, so one set of sizes fits a
            whole sweep): attention heads, attention width (split over the heads), BiLSTM
            output width (half per direction), transformer feed-forward width.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    input_length: int | None = PositiveInt
    n_outputs: int | None = PositiveInt
    activation: str = "relu"
    activation_kwargs: dict[str, float] = Field(default_factory=dict)
    filters: int | None = PositiveInt
    dense_units: int | None = PositiveInt
    dropout: list[DropoutRate] | None = None
    dropout_scale: float = Field(default=1.0, ge=0)
    batch_norm: bool | None = None
    conv_bias: bool | None = None
    regularized: bool = True
    init: InitScheme | None = None
    init_std: float | None = Field(default=None, gt=0)
    l2: float | None = Field(default=None, ge=0)
    mha_heads: int | None = PositiveInt
    key_size: int | None = PositiveInt
    lstm_units: int | None = PositiveInt
    ff_units: int | None = PositiveInt

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Validate ``data``; raise :class:`ModelError` with a one-line message when bad."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ModelError(f"bad model config: {_first_error(exc)}") from None

    @classmethod
    def from_json(cls, text: str, source: str = "config") -> ModelConfig:
        """Parse a JSON document; raise :class:`ModelError` naming ``source`` when bad."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise ModelError(f"bad model config in {source}: {_first_error(exc)}") from None

    def replace(self, **changes) -> ModelConfig:
        """A validated copy with ``changes`` applied."""
        return ModelConfig.from_dict({**self.model_dump(), **changes})


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"]) or "config"
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{extra}"
