"""The model registry: ``available``, ``build``, ``build_from_config``, save/load, L2.

``build(name, ...)`` validates a :class:`ModelConfig`, fills in the architecture's defaults,
builds the modules, initialises the weights and attaches the resolved config as
``model.config``. The resolved config rebuilds the same architecture, so
``save_model``/``load_model`` need nothing else.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..alphabet import as_rng
from ..io_utils import atomic_path
from .activations import check_activation
from .cnn import CNN_ARCHITECTURES, CNNArchitecture
from ..errors import ModelError
from .config import ModelConfig
from .hybrid import HYBRID_ARCHITECTURES, HybridArchitecture
from .initialization import initialize_
from .layers import ZooModel

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.pt"
#: the per-epoch checkpoint ``seqlens.training.fit`` writes beside the saved model
CHECKPOINT_FILE = "checkpoint.pt"
_HYBRID_ONLY = ("mha_heads", "key_size", "lstm_units", "ff_units")

_ARCHITECTURES: dict[str, CNNArchitecture | HybridArchitecture] = {
    **CNN_ARCHITECTURES, **HYBRID_ARCHITECTURES,
}


def available() -> list[str]:
    """Every zoo name: the CNNs, then the hybrids (see :mod:`seqlens.models.hybrid`)."""
    return list(_ARCHITECTURES)


def _architecture(name: str) -> CNNArchitecture | HybridArchitecture:
    try:
        return _ARCHITECTURES[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; valid names: {', '.join(_ARCHITECTURES)}") from None


def resolve_config(config: ModelConfig) -> ModelConfig:
    """``config`` with every default filled in (idempotent); ModelError when inconsistent."""
    arch = _architecture(config.name)
    activation = check_activation(config.activation, config.activation_kwargs)
    regularized = config.regularized
    use_bn = regularized if config.batch_norm is None else config.batch_norm

    sites = arch.dropout_sites()
    if config.dropout is None:
        rates = [rate if regularized else 0.0 for _, rate in sites]
    elif len(config.dropout) != len(sites):
        names = ", ".join(site for site, _ in sites)
        raise ModelError(f"{config.name} has {len(sites)} dropout sites ({names}); "
                         f"got {len(config.dropout)} rates")
    else:
        rates = list(config.dropout)
    rates = [rate * config.dropout_scale for rate in rates]
    if any(rate >= 1 for rate in rates):
        raise ModelError(f"dropout rates must be < 1 after dropout_scale; got {max(rates):g}")

    init = config.init or arch.init
    if (init == "normal") != (config.init_std is not None):
        raise ModelError("init_std is required with init='normal' and applies only to it")

    if isinstance(arch, HybridArchitecture):
        head_fields = arch.resolve_head(config)
    else:
        given = [field for field in _HYBRID_ONLY if getattr(config, field) is not None]
        if given:
            raise ModelError(f"{', '.join(given)} apply only to hybrid models, not {config.name}")
        head_fields = {}

    return config.replace(
        input_length=config.input_length or arch.input_length,
        n_outputs=config.n_outputs or arch.n_outputs,
        activation=activation,
        filters=config.filters or arch.filters,
        dense_units=config.dense_units or arch.dense_units,
        dropout=rates,
        dropout_scale=1.0,
        batch_norm=use_bn,
        conv_bias=(arch.conv_bias_with_bn if use_bn else True) if config.conv_bias is None else config.conv_bias,
        init=init,
        l2=(arch.l2 if regularized else 0.0) if config.l2 is None else config.l2,
        **head_fields,
    )


def _torch_generator(seed) -> torch.Generator | None:
    if seed is None:
        return None  # the global torch RNG, so torch.manual_seed governs construction
    return torch.Generator().manual_seed(int(as_rng(seed).integers(np.iinfo(np.int64).max)))


def build_from_config(config: ModelConfig | dict, seed: int | np.random.Generator | None = None) -> ZooModel:
    """Build the model ``config`` describes; ``model.config`` holds the resolved config.

    ``seed`` (int or numpy Generator) makes the initial weights independent of the global
    torch RNG; with ``None`` they come from it (``torch.manual_seed`` reproduces them).
    """
    if not isinstance(config, ModelConfig):
        config = ModelConfig.from_dict(config)
    resolved = resolve_config(config)
    model = _architecture(resolved.name).build(resolved)
    initialize_(model, resolved.init, resolved.init_std, _torch_generator(seed))
    return model


def build(name: str, activation: str = "relu", input_length: int | None = None,
          n_outputs: int | None = None, seed: int | np.random.Generator | None = None,
          **overrides) -> ZooModel:
    """Build zoo model ``name``: ``(N, 4, input_length)`` float -> logits ``(N, n_outputs)``.

    ``input_length``/``n_outputs`` default to the paper's (see :class:`ModelConfig`);
    ``overrides`` are further :class:`ModelConfig` fields (``filters``, ``dropout``,
    ``dropout_scale``, ``batch_norm``, ``regularized``, ``init``, ``init_std``, ``l2``,
    ``activation_kwargs``, hybrid sizes, ...). Unknown names or fields raise ModelError.

    >>> model = build("cnn_local", activation="exponential")
    >>> model(torch.zeros(2, 4, 200)).shape
    torch.Size([2, 1])
    """
    config = ModelConfig.from_dict({"name": name, "activation": activation,
                                    "input_length": input_length, "n_outputs": n_outputs,
                                    **overrides})
    return build_from_config(config, seed=seed)


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """Unweighted sum of squared weights of every ``Conv1d`` and ``Linear``: a scalar.

    Biases, batch/layer norm and LSTM parameters are excluded. Training adds
    ``model.config.l2 * l2_penalty(model)`` to the loss (Keras' ``l2`` regulariser: strength
    times the sum of squares, no factor 1/2).
    """
    weights = [m.weight for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Linear))]
    if not weights:
        return torch.zeros(())
    return torch.stack([w.pow(2).sum() for w in weights]).sum()


def _canonical(obj):
    """``obj`` with fresh containers and interned strings, so its pickle depends on its content
    only (pickle shares repeated objects by identity: a string loaded from a checkpoint and the
    same literal would otherwise be written differently). Mappings become plain dicts."""
    if isinstance(obj, dict):
        return {_canonical(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_canonical(v) for v in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(_canonical(v) for v in obj)
    if type(obj) is str:
        return sys.intern(obj)
    return obj


def save_torch(obj, path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` to ``path``, atomically and byte-reproducibly; return the path.

    ``torch.save`` to a file name calls the zip archive's inner folder after that name (here
    the random temporary file), so identical objects would give different bytes; saved to a
    buffer the archive is always named ``archive``, and the bytes go through
    :func:`seqlens.io_utils.atomic_path`. Containers and strings are rebuilt first (see
    :func:`_canonical`), so equal content gives equal bytes, also after a resume.
    """
    buffer = io.BytesIO()
    torch.save(_canonical(obj), buffer)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())
    return path


def save_model(model: ZooModel, path_dir: str | os.PathLike) -> Path:
    """Write ``config.json`` and ``weights.pt`` (state dict) into ``path_dir``; return it.

    Both files are written atomically; the directory is created when missing. The same
    weights always give the same bytes (see :func:`save_torch`), so runs can be compared
    by hash.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, ModelConfig):
        raise ModelError("save_model needs a zoo model (built by seqlens.models.build)")
    path_dir = Path(path_dir)
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    save_torch(state, path_dir / WEIGHTS_FILE)
    with atomic_path(path_dir / CONFIG_FILE) as tmp:
        tmp.write_text(json.dumps(config.model_dump(), indent=2) + "\n")
    return path_dir


def load_torch(path: str | os.PathLike, what: str, remedy: str, map_location="cpu"):
    """``torch.load(path, weights_only=True)``; a file torch cannot read raises ModelError.

    The message says that ``what`` (e.g. ``"weights file"``) is truncated or corrupt and
    ends with ``remedy`` (what the user should do); it never shows torch's internals.
    """
    path = Path(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many kinds on damaged bytes (RuntimeError, EOFError, struct.error ...)
        if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, MemoryError)):
            raise
        size = path.stat().st_size if path.is_file() else 0
        state = "empty" if size == 0 else "truncated or corrupt"
        raise ModelError(f"{what} {path} is {state} (torch cannot read it: {type(exc).__name__}); {remedy}") from None


def _interrupted_run(path_dir: Path, missing: Path) -> ModelError:
    return ModelError(
        f"{path_dir} holds only a training checkpoint ({CHECKPOINT_FILE}, no {missing.name}): training was "
        f"interrupted; resume it by running the same `seqlens train ... -o {path_dir}` again "
        f"(library: fit(..., out_dir={str(path_dir)!r}))"
    )


def load_model(path_dir: str | os.PathLike, map_location: str | torch.device = "cpu") -> ZooModel:
    """Rebuild the model saved in ``path_dir`` and load its weights (in eval mode).

    A missing folder or file raises FileNotFoundError; a run folder holding only a
    training checkpoint (an interrupted run), a truncated or corrupt ``weights.pt`` and
    weights that do not fit the config raise ModelError saying what to do.
    """
    path_dir = Path(path_dir)
    config_path, weights_path = path_dir / CONFIG_FILE, path_dir / WEIGHTS_FILE
    for path in (config_path, weights_path):
        if not path.is_file():
            if (path_dir / CHECKPOINT_FILE).is_file():
                raise _interrupted_run(path_dir, path)
            raise FileNotFoundError(f"saved model file not found: {path}")
    config = ModelConfig.from_json(config_path.read_text(), source=str(config_path))
    model = build_from_config(config).to(map_location)
    if (path_dir / CHECKPOINT_FILE).is_file():
        remedy = (f"rewrite it from the run's checkpoint by running the same `seqlens train ... -o {path_dir}` "
                  f"again (library: fit(..., out_dir={str(path_dir)!r}))")
    else:
        remedy = "delete it and save or train the model again"
    state = load_torch(weights_path, "weights file", remedy, map_location=map_location)
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, AttributeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"weights in {weights_path} do not fit the config: {first_line}") from None
    return model.eval()
