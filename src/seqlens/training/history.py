"""How a training run ended, read from its per-epoch history (``history.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


#: A run whose learning rate ends below this fraction of its initial value is flagged as
#: collapsed (three decays by 0.1, or five by 0.2, get there).
LR_COLLAPSE = 1e-3


def training_check(history: pd.DataFrame, epoch_cap: int) -> dict:
    """How a training run ended, from its ``history.csv`` table (columns ``epoch``, ``lr``, ``val_auroc``).

    Returns ``epochs`` (trained), ``epoch_cap``, ``stopped_at_cap`` (training ran until the
    cap instead of stopping early), ``best_epoch`` (highest validation AUROC: the weights
    kept), ``initial_lr``, ``final_lr``, ``lr_decays`` (times the learning rate dropped) and
    ``flags``: sentences for a reader, one when the run stopped at the cap (saying whether the
    learning rate had decayed, i.e. the validation metric had plateaued at least once), and
    one when the learning rate ended below :data:`LR_COLLAPSE` times its initial value
    (``lr_collapsed``: e.g. decay 0.2 with patience 3 took an exponential residualbind on IRF1
    from 1e-3 to 4e-5 by epoch 10, issue 14).
    """
    epochs = int(history["epoch"].max()) if len(history) else 0
    lr = history["lr"].to_numpy(dtype=float)
    decays = int((np.diff(lr) < 0).sum()) if lr.size else 0
    best = int(history["epoch"].iloc[int(np.nanargmax(history["val_auroc"].to_numpy(dtype=float)))]) \
        if len(history) and history["val_auroc"].notna().any() else None
    at_cap = epochs >= epoch_cap
    flags = []
    if at_cap:
        if decays:
            lr_text = (f"with the learning rate decayed {decays} time{'s' if decays > 1 else ''} "
                       f"({lr[0]:.0e} -> {lr[-1]:.0e})")
        else:
            lr_text = f"at its initial learning rate ({lr[0]:.0e}), never decayed"
        flags.append(
            f"stopped at the epoch cap ({epochs} of {epoch_cap} epochs) {lr_text}: early stopping never "
            f"triggered, so the model may not have converged (best validation AUROC at epoch {best}); "
            "the papers trained up to 100 epochs with early stopping. Compare with care, or rerun with more epochs."
        )
    collapsed = bool(lr.size and lr[-1] < lr[0] * LR_COLLAPSE)
    if collapsed:
        flags.append(
            f"the learning rate collapsed from {lr[0]:.0e} to {lr[-1]:.0e} ({decays} decays): the last epochs barely "
            "changed the weights; the validation metric kept plateauing, check the data and settings.")
    return {"epochs": epochs, "epoch_cap": int(epoch_cap), "stopped_at_cap": bool(at_cap), "best_epoch": best,
            "initial_lr": float(lr[0]) if lr.size else None, "final_lr": float(lr[-1]) if lr.size else None,
            "lr_decays": decays, "lr_collapsed": collapsed, "flags": flags}
