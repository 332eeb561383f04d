"""Activation modules: values against the formulas, shapes, gradients, registry errors."""

import numpy as np
import pytest
import torch

from seqlens.errors import SeqlensError
from seqlens.models import ACTIVATIONS, ElementwiseActivation, get_activation


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _relu(x):
    return np.maximum(x, 0.0)


# Reference formulas written independently of the implementation (002 Supplementary
# Table 5 and the original code's constants).
FORMULAS = {
    "relu": _relu,
    "exponential": np.exp,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1.0),
    "exp_relu": lambda x: _relu(np.exp(0.1 * x) - 1.0),
    "shift_scale_relu": lambda x: _relu((x - 0.2) ** 3),
    "shift_relu": lambda x: _relu(x - 0.2),
    "scale_relu": lambda x: _relu(x ** 3),
    "shift_scale_tanh": lambda x: 500 * np.tanh(x - 6) + 500,
    "shift_tanh": lambda x: np.tanh(x - 6),
    "scale_tanh": lambda x: 500 * np.tanh(x) + 500,
    "shift_scale_sigmoid": lambda x: 4000 * _sigmoid(x - 8),
    "shift_sigmoid": lambda x: _sigmoid(x - 8),
    "scale_sigmoid": lambda x: 4000 * _sigmoid(x),
    "super_relu": lambda x: 400 * _relu(x),
    "log_relu": lambda x: _relu(np.log(np.abs(x) + 1e-10)),
}

POINTS = np.array([-7.0, -3.0, -1.5, -0.5, 0.0, 0.1, 0.2, 0.5, 1.0, 2.5, 6.0, 8.0, 9.5])


def test_registry_holds_exactly_the_spec_activations():
    assert set(ACTIVATIONS) == set(FORMULAS)
    for name, cls in ACTIVATIONS.items():
        assert cls.name == name
        assert issubclass(cls, ElementwiseActivation) and cls.elementwise is True


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_values_match_formula(name):
    module = get_activation(name)
    got = module(torch.tensor(POINTS, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, FORMULAS[name](POINTS), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_shape_gradients_and_pointwise_jacobian(name):
    module = get_activation(name)
    x = torch.linspace(-3, 3, 30, dtype=torch.float64).reshape(2, 3, 5).requires_grad_(True)
    y = module(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    y.sum().backward()
    assert torch.isfinite(x.grad).all()
    # "elementwise" must be true: the Jacobian of a flat input is diagonal.
    jac = torch.autograd.functional.jacobian(module, torch.linspace(-2, 2, 7, dtype=torch.float64))
    off_diagonal = jac - torch.diag(torch.diagonal(jac))
    assert torch.count_nonzero(off_diagonal) == 0
    assert not list(module.parameters()) and not module.state_dict()


def test_log_relu_is_finite_at_zero_with_zero_gradient():
    x = torch.zeros(3, requires_grad=True)
    y = get_activation("log_relu")(x)
    y.sum().backward()
    assert torch.equal(y, torch.zeros(3)) and torch.equal(x.grad, torch.zeros(3))


def test_exponential_input_scale_and_elu_alpha():
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    np.testing.assert_allclose(get_activation("exponential", scale=0.5)(x).numpy(), np.exp(0.5 * x.numpy()))
    np.testing.assert_allclose(get_activation("exponential", scale=2)(x).numpy(), np.exp(2 * x.numpy()))
    np.testing.assert_allclose(get_activation("elu", alpha=0.5)(x).numpy()[0], 0.5 * (np.exp(-1) - 1))
    np.testing.assert_allclose(get_activation("shift_scale_tanh", shift=5)(x).numpy(),
                               500 * np.tanh(x.numpy() - 5) + 500)


def test_names_are_case_insensitive_and_repr_is_readable():
    assert isinstance(get_activation("ReLU"), ACTIVATIONS["relu"])
    assert "500 * tanh(x - 6) + 500" in repr(get_activation("shift_scale_tanh"))
    assert "4000 * sigmoid(x - 8)" in repr(get_activation("shift_scale_sigmoid"))
    assert "relu((x - 0.2) ** 3)" in repr(get_activation("shift_scale_relu"))
    assert "exp(0.5 * x)" in repr(get_activation("exponential", scale=0.5))


def test_unknown_name_lists_valid_names():
    with pytest.raises(SeqlensError) as info:
        get_activation("swish")
    message = str(info.value)
    assert "swish" in message and "exponential" in message and "log_relu" in message
    assert "\n" not in message


def test_unknown_parameter_is_rejected():
    with pytest.raises(SeqlensError, match="relu.*scale"):
        get_activation("relu", scale=2.0)
    with pytest.raises(SeqlensError, match="exponential"):
        get_activation("exponential", shift=1.0)
