"""Training: ``fit`` with standard, Gaussian-noise, PGD-adversarial and angle-regularised
training, reverse-complement augmentation, resumable checkpoints; prediction and
classification scores.

Example::

    from seqlens.training import GaussianNoise, evaluate, fit
    history = fit(model, dataset, method=GaussianNoise(sigma=0.1), out_dir="runs/noise")
    table = evaluate(model, dataset.test)  # per-output AUROC and AUPR
"""

from .loop import EarlyStopping, fit
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
    "evaluate",
    "fit",
    "input_gradient_angles",
    "pgd_attack",
    "predict",
    "simplex_angles",
    "training_method",
]
