"""Where a model lives and which mode it is in, held for the length of a computation.

Every function that runs a user's model (training, prediction, attribution, filter
analysis) goes through :func:`model_state`, so the caller gets the model back on its own
device with every submodule's train/eval flag as it was, also when the body raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from ..errors import SeqlensError
from ..validation import check_device


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a stateless model)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


@contextmanager
def model_state(model: nn.Module, device=None, training: bool = False) -> Iterator[torch.device]:
    """Hold ``model`` on ``device`` (default: its own) in train or eval mode; restore both on exit.

    Yields the resolved device. Every submodule's ``training`` flag is restored
    individually, so a model that was partly in eval mode comes back exactly as it was.
    ``device`` is checked with :func:`seqlens.validation.check_device` before the model is
    touched: an unknown or absent device is a one-line SeqlensError.
    """
    if not isinstance(model, nn.Module):
        raise SeqlensError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    checked = check_device(device)
    original = model_device(model)
    target = original if checked is None else checked
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.to(target).train(training)
        yield target
    finally:
        for module, was_training in modes:
            module.training = was_training
        if target != original:
            model.to(original)
