"""Input checks at the public boundary: the one place arrays and numbers are validated.

Every package (alphabet, data, models, training, attribution, evaluation) checks what a
user hands it with these functions, so the same input is accepted or refused, with the
same one-line message, whichever function it reaches:

- :func:`check_sequence_shape`: ``(N, 4, L)``, with a hint for channel-last data;
- :func:`check_one_hot`: every column one-hot, or an ``N`` column (all 0 or all 0.25);
- :func:`as_array` / :func:`as_maps` / :func:`as_one_hot_array`: numpy or torch in, a
  finite float64 numpy array out (scoring works in float64 whatever the caller's dtype);
- :func:`as_sequence_tensor`: numpy or torch in, a floating torch tensor out (model input);
- :func:`check_probability_matrix` / :func:`as_probability_matrix`: columns are
  probabilities summing to 1 (ground-truth sequence models);
- :func:`check_same_shape`: two arrays describing the same sequences agree in shape;
- :func:`check_int`: an integer (Python or numpy, never a bool) of at least ``minimum``;
- :func:`check_device`: a device name that exists here (``torch.device`` or None out);
- :func:`did_you_mean`: the hint an error about an unknown name ends with.

torch is imported only when a function needs it, so checking numpy data never loads it.
"""

from __future__ import annotations

import sys

import numpy as np

from .errors import DataFormatError, SeqlensError, SequenceError

#: Column sums of a probability matrix may drift by float rounding (float64 -> float32).
PROBABILITY_SUM_TOL = 1e-3


def _is_tensor(x) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if _is_tensor(x) else np.asarray(x)


def check_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as a Python int; :class:`SeqlensError` unless it is an integer >= ``minimum``.

    Python and numpy integers are accepted; bools, floats and strings are not.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise SeqlensError(f"{name} must be {what}, got {value!r}")
    return int(value)


def did_you_mean(name: str, choices, n: int = 3) -> str:
    """``"; did you mean 'x'?"`` (the closest of ``choices`` to ``name``), or ``""`` when none is close."""
    import difflib

    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def check_sequence_shape(shape, name: str = "X", length: int | None = None, error=SequenceError) -> None:
    """Raise ``error`` unless ``shape`` is ``(N, 4, L)`` (and ``L == length`` when given).

    A ``(N, L, 4)`` shape gets a hint to transpose: channel-last data is the commonest
    mistake when arrays come from Keras-era code.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 3 and shape[2] == 4 and shape[1] != 4:
        raise error(
            f"{name} has shape {shape}, which looks channel-last (N, L, 4); seqlens expects "
            "channel-first (N, 4, L): transpose it with X.transpose(0, 2, 1)"
        )
    want = "(N, 4, L)" if length is None else f"(N, 4, {length})"
    if len(shape) != 3 or shape[1] != 4:
        raise error(f"{name} must have shape {want}, got {shape}")
    if length is not None and shape[2] != length:
        raise error(f"{name} has length {shape[2]}, expected {length}: shape must be {want}, got {shape}")


def check_one_hot(X, name: str = "X", allow_n: bool = True, length: int | None = None):
    """Check that ``X`` (numpy or torch) is one-hot DNA ``(N, 4, L)``; return it unchanged.

    Raises :class:`SequenceError` with a one-line message when the shape is wrong, values
    are not finite, or a column is neither one-hot nor (with ``allow_n``) an ``N`` column
    (all zeros or 0.25 in every channel), naming the first bad sequence and position.
    """
    arr = _to_numpy(X)
    check_sequence_shape(arr.shape, name, length)
    if not np.isfinite(arr).all():
        raise SequenceError(f"{name} contains NaN or infinite values")
    col_max = arr.max(axis=1)
    col_sum = arr.sum(axis=1)
    ok = (col_max == 1) & (col_sum == 1) & (arr.min(axis=1) == 0)
    if allow_n:
        ok |= (col_max == 0) & (col_sum == 0)
        ok |= np.all(arr == 0.25, axis=1)
    if not ok.all():
        n, pos = np.argwhere(~ok)[0]
        raise SequenceError(f"{name} is not one-hot: sequence {n}, position {pos} has column {arr[n, :, pos].tolist()}")
    return X


def as_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` (numpy, torch or nested lists) as a finite float64 numpy array with ``ndim`` dimensions."""
    try:
        arr = np.asarray(_to_numpy(x), dtype=np.float64)
    except (TypeError, ValueError):
        raise DataFormatError(f"{name} must be a numeric array, got {type(x).__name__}") from None
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        raise DataFormatError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataFormatError(f"{name} contains NaN or infinite values")
    return arr


def as_maps(x, name: str) -> np.ndarray:
    """A non-empty batch of per-letter maps ``(N, 4, L)`` as float64 numpy."""
    arr = as_array(x, name, ndim=3)
    check_sequence_shape(arr.shape, name, error=DataFormatError)
    if arr.shape[0] == 0 or arr.shape[2] == 0:
        raise DataFormatError(f"{name} is empty: shape {arr.shape}")
    return arr


def as_one_hot_array(x, name: str = "X") -> np.ndarray:
    """One-hot DNA ``(N, 4, L)`` as float64 numpy (N columns, all zero or 0.25, are allowed)."""
    return check_one_hot(as_maps(x, name), name=name)


def check_probability_matrix(arr: np.ndarray, name: str = "ground_truth", error=DataFormatError) -> np.ndarray:
    """Raise ``error`` unless every column of ``arr`` ``(N, 4, L)`` is a probability vector; return ``arr``.

    Values must be finite and in ``[0, 1]`` and columns must sum to 1 within
    :data:`PROBABILITY_SUM_TOL`; the message names the first bad sequence and position.
    """
    if not np.isfinite(arr).all():
        raise error(f"{name} contains NaN or infinite values")
    if (arr < 0).any() or (arr > 1 + PROBABILITY_SUM_TOL).any():
        raise error(f"{name} holds values outside [0, 1]; expected probabilities")
    sums = arr.sum(axis=1, dtype=np.float64)
    bad = np.abs(sums - 1) > PROBABILITY_SUM_TOL
    if bad.any():
        n, pos = np.argwhere(bad)[0]
        raise error(f"{name} is not a probability matrix: sequence {n}, position {pos} sums to {sums[n, pos]:.4g}, expected 1")
    return arr


def as_probability_matrix(x, name: str = "ground_truth") -> np.ndarray:
    """Sequence models ``(N, 4, L)`` (numpy or torch) as float64 numpy, checked as probabilities."""
    return check_probability_matrix(as_maps(x, name), name)


def check_same_shape(a, b, name_a: str, name_b: str) -> None:
    """Raise :class:`DataFormatError` when two arrays that describe the same sequences differ in shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise DataFormatError(f"{name_a} has shape {tuple(a.shape)} but {name_b} has shape {tuple(b.shape)}")


def check_device(device):
    """``device`` (a name such as ``"cpu"``, ``"cuda:1"``, a ``torch.device`` or None) as a
    ``torch.device`` that exists on this machine; None stays None (the model's own device).

    Raises :class:`SeqlensError` with a one-line message for an unknown name (``"gpu"``), a
    device this build of torch or this machine lacks (``"cuda"`` without CUDA, ``"cuda:7"``
    with 2 GPUs, ``"mps"`` off Apple silicon) and ``"meta"`` (it holds no data: moving a
    model there would discard its weights). Every function that runs a model resolves its
    ``device=`` here (``seqlens.training.resolve_device``, the attribution methods).
    """
    if device is None:
        return None
    import torch

    if isinstance(device, bool) or not isinstance(device, (str, int, torch.device)) or isinstance(device, int) and device < 0:
        raise SeqlensError(f"device must be a name such as 'cpu' or 'cuda:0', or a torch.device, got {device!r}")
    if isinstance(device, int):  # torch reads a bare index as the accelerator's
        device = f"cuda:{device}"
    hint = "use cpu, cuda or cuda:N" + did_you_mean(str(device), ["cpu", "cuda", "mps"])
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise SeqlensError(f"unknown device {device!r}; {hint}") from None
    if target.type == "cpu":
        return target
    if target.type == "meta":
        raise SeqlensError(f"device {device!r} holds no data (moving a model there discards its weights); use cpu or cuda")
    if target.type == "cuda":
        if not torch.cuda.is_available():
            raise SeqlensError(f"device {device!r} requested but CUDA is not available here; use cpu")
        count = torch.cuda.device_count()
        if target.index is not None and target.index >= count:
            raise SeqlensError(f"device {device!r} does not exist ({count} CUDA device(s): cuda:0 to cuda:{count - 1})")
        return target
    if target.type == "mps" and not torch.backends.mps.is_available():
        raise SeqlensError(f"device {device!r} requested but MPS is not available here; use cpu")
    try:  # any other backend: it exists if a tensor can be made there
        torch.empty(0, device=target)
    except Exception as exc:  # noqa: BLE001 - torch raises several kinds for a missing backend
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SeqlensError(f"device {device!r} is not available here ({first}); use cpu") from None
    return target


def as_sequence_tensor(x, name: str = "X", one_hot: bool = False, allow_empty: bool = False, dtype=None):
    """``x`` (torch, numpy or nested lists) as a floating torch tensor ``(N, 4, L)`` for a model.

    A numpy array becomes a tensor sharing its memory where it can; integer or boolean
    inputs (e.g. uint8 one-hot read from HDF5) become float32; a tensor keeps its device.
    ``dtype`` converts to that dtype. Raises :class:`SequenceError` for a wrong shape, an
    empty batch (unless ``allow_empty``), non-finite values or, with ``one_hot``, a column
    that is not one-hot.
    """
    import torch

    if isinstance(x, torch.Tensor):
        tensor = x
    else:
        arr = np.asarray(x)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise SequenceError(f"{name} must be a numeric tensor or array of shape (N, 4, L), got {type(x).__name__}")
        tensor = torch.from_numpy(np.ascontiguousarray(arr))
    check_sequence_shape(tensor.shape, name)
    if not allow_empty and (tensor.shape[0] == 0 or tensor.shape[2] == 0):
        raise SequenceError(f"{name} must hold at least one sequence of length >= 1, got shape {tuple(tensor.shape)}")
    if tensor.is_complex():
        raise SequenceError(f"{name} must hold real numbers, got dtype {tensor.dtype}")
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.float32)
    if dtype is not None:
        tensor = tensor.to(dtype)
    # A finite sum is the cheap check (isfinite() costs more than a small model's forward
    # pass); only a non-finite one needs the exact, element-wise test.
    if tensor.numel() and not torch.isfinite(tensor.sum()) and not torch.isfinite(tensor).all():
        raise SequenceError(f"{name} contains NaN or infinite values")
    if one_hot:
        check_one_hot(tensor, name=name)
    return tensor
