"""Patterns to embed in null sequences: what a user names, resolved to a probability matrix.

A pattern is embedded either as one fixed sequence (its one-hot, or a PPM's consensus) or, with
``sample=True``, as a fresh draw from its PPM in every null, so that the effect can later be
related to each draw's PWM score.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from ..alphabet import as_rng, one_hot_encode
from ..errors import MotifError, SequenceError
from ..motifs import Motif, get_motif, read_meme, sample_from_ppm
from ..validation import as_array, check_int, did_you_mean
from .nulls import same_kind

_CONSENSUS = re.compile(r"^[ACGTacgt]+$")
STRANDS = ("+", "-")


@dataclass(frozen=True)
class Pattern:
    """A named pattern: ``ppm`` float64 ``(4, W)`` (one-hot for a fixed sequence)."""

    name: str
    ppm: np.ndarray

    @property
    def width(self) -> int:
        return int(self.ppm.shape[1])

    @property
    def consensus(self) -> np.ndarray:
        """The most probable letter at every position, one-hot float32 ``(4, W)`` (ties: first in A, C, G, T)."""
        out = np.zeros(self.ppm.shape, dtype=np.float32)
        out[self.ppm.argmax(axis=0), np.arange(self.width)] = 1
        return out


def as_pattern(spec) -> Pattern:
    """Resolve ``spec`` to a :class:`Pattern`.

    ``spec`` is a :class:`Pattern`, a :class:`seqlens.motifs.Motif`, a consensus string of
    A/C/G/T (``"GGGCGG"``), ``"FILE.meme:NAME"`` (a motif of a MEME file, by name or
    identifier), a JASPAR name or matrix ID (``"SP1"``, ``"MA0079.3"``, JASPAR 2016 CORE
    vertebrates), or an array ``(4, W)``: a one-hot sequence or a PPM.
    """
    if isinstance(spec, Pattern):
        return spec
    if isinstance(spec, Motif):
        return Pattern(spec.name, np.asarray(spec.ppm, dtype=np.float64))
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise MotifError("pattern: empty string")
        if _CONSENSUS.match(text):
            return Pattern(text.upper(), one_hot_encode(text.upper()).astype(np.float64))
        path, sep, name = text.rpartition(":")
        if sep and path.lower().endswith(".meme"):
            return _meme_pattern(path, name)
        return as_pattern(get_motif(text))
    if isinstance(spec, (os.PathLike,)):
        raise MotifError(f"pattern {spec}: name the motif of a MEME file as FILE.meme:NAME")
    ppm = as_array(spec, "pattern", ndim=2)
    if ppm.shape[0] != 4 or ppm.shape[1] < 1:
        raise MotifError(f"pattern array must have shape (4, W), got {ppm.shape}")
    if (ppm < 0).any() or not np.allclose(ppm.sum(axis=0), 1.0, atol=1e-3):
        raise MotifError("pattern array: every column must be non-negative and sum to 1 (a one-hot or a PPM)")
    return Pattern(f"pattern{ppm.shape[1]}", ppm)


def _meme_pattern(path: str, name: str) -> Pattern:
    motifs = read_meme(path)
    for motif in motifs:
        if name in (motif.name, motif.id):
            return as_pattern(motif)
    names = [m.name for m in motifs]
    raise MotifError(f"{path}: no motif named {name!r}{did_you_mean(name, names)}; it holds {', '.join(names[:10])}"
                     + (" ..." if len(names) > 10 else ""))


def pattern_sequences(pattern, n: int, strand: str = "+", sample: bool = False, seed=0) -> np.ndarray:
    """``n`` instances ``(n, 4, W)`` float32 of ``pattern`` on ``strand``: its consensus
    repeated, or with ``sample`` an independent draw from its PPM for each instance."""
    pattern = as_pattern(pattern)
    if strand not in STRANDS:
        raise SequenceError(f"strand must be '+' or '-', got {strand!r}")
    n = check_int(n, "n", minimum=0)
    if sample:
        out = sample_from_ppm(pattern.ppm, n, seed=as_rng(seed))
    else:
        out = np.broadcast_to(pattern.consensus, (n, 4, pattern.width)).copy()
    return out[:, ::-1, ::-1].copy() if strand == "-" else out


def embed(X, instances, position: int):
    """Copy of ``X`` ``(N, 4, L)`` with ``instances`` (``(N, 4, W)``, or one ``(4, W)`` for
    all) written over positions ``position .. position + W - 1``. numpy or torch like ``X``."""
    is_tensor = hasattr(X, "detach")
    arr = X.detach().cpu().numpy().copy() if is_tensor else np.array(X, copy=True)
    inst = np.asarray(instances, dtype=arr.dtype)
    if inst.ndim == 2:
        inst = inst[None]
    width = inst.shape[-1]
    if inst.shape[1] != 4 or inst.shape[0] not in (1, arr.shape[0]):
        raise SequenceError(f"instances of shape {inst.shape} do not fit sequences of shape {arr.shape}")
    position = check_int(position, "position", minimum=0)
    if position + width > arr.shape[2]:
        raise SequenceError(f"a pattern of width {width} at position {position} runs past the sequence end "
                            f"(length {arr.shape[2]})")
    arr[:, :, position : position + width] = inst
    return same_kind(arr, X)
