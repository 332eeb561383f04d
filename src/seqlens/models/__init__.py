"""The model zoo of the five papers, as PyTorch modules.

- :func:`build` / :func:`build_from_config`: a zoo model by name; :func:`available` lists
  the names (CNNs: cnn_local, cnn_dist, cnn_deep_gc, localnet, distnet, cnn_2, cnn_50,
  cnn_deep, basset, residualbind; hybrids: ``hybrid_<baseline>[_<head>]``).
- :class:`ModelConfig`: the validated description a model is rebuilt from (``model.config``).
- :func:`save_model` / :func:`load_model`: ``config.json`` + ``weights.pt`` in a directory.
- :func:`l2_penalty`: sum of squared conv/linear weights, for training's L2 term.
- :mod:`seqlens.models.foreign`: the user's own model (TorchScript, ``torch.export``,
  ``package.module:Class`` + weights) as a :class:`ForeignModel` returning ``(N, T)``
  (:func:`select_output`: head of a tuple/dict output, profile summary; :func:`first_convolution`).
- :mod:`seqlens.models.activations`: every activation as a module (:func:`get_activation`).

Every zoo model maps ``(N, 4, L)`` float to logits ``(N, T)`` and exposes ``first_conv``,
``first_activation`` and ``first_layer_activations(X)``; hybrids add
``attention_weights(X)``.
"""

from .activations import ACTIVATIONS, ElementwiseActivation, get_activation
from ..errors import ModelError
from .config import ModelConfig
from .foreign import (
    ForeignModel,
    first_convolution,
    import_model_class,
    is_foreign,
    is_torchscript,
    load_foreign_model,
    load_model_file,
    load_weights,
    output_count,
    probe_outputs,
    select_output,
)
from .initialization import randomized_copy
from .layers import ZooModel
from .zoo import (
    available,
    build,
    build_from_config,
    l2_penalty,
    load_model,
    resolve_config,
    save_model,
)

__all__ = [
    "ACTIVATIONS",
    "ElementwiseActivation",
    "ForeignModel",
    "ModelConfig",
    "ModelError",
    "ZooModel",
    "available",
    "build",
    "build_from_config",
    "first_convolution",
    "get_activation",
    "import_model_class",
    "is_foreign",
    "is_torchscript",
    "l2_penalty",
    "load_foreign_model",
    "load_model",
    "load_model_file",
    "load_weights",
    "output_count",
    "probe_outputs",
    "randomized_copy",
    "resolve_config",
    "save_model",
    "select_output",
]
