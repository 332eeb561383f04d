"""Training: ``fit`` with standard, Gaussian-noise, PGD-adversarial and angle-regularised
training, reverse-complement augmentation, resumable checkpoints; prediction and
classification scores.

Example::

    from seqlens.training import GaussianNoise, evaluate, fit
    history = fit(model, dataset, method=GaussianNoise(sigma=0.1), out_dir="runs/noise")
    table = evaluate(model, dataset.test)  # per-output AUROC and AUPR
"""

from .history import training_check
from .loop import EarlyStopping, check_fit_arguments, fit, resolve_device, split_fingerprint
from .methods import Adversarial, AngleRegularization, GaussianNoise, Standard, TrainingMethod, training_method
from .metrics import evaluate, predict
from .robust import input_gradient_angles, pgd_attack, simplex_angles

__all__ = [
    "Adversarial",
    "AngleRegularization",
    "EarlyStopping",
    "GaussianNoise",
    "Standard",
    "TrainingMethod",
    "check_fit_arguments",
    "evaluate",
    "fit",
    "input_gradient_angles",
    "pgd_attack",
    "predict",
    "resolve_device",
    "simplex_angles",
    "split_fingerprint",
    "training_check",
    "training_method",
]
