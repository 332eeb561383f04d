"""seqlens.validation: the one set of input checks every package uses."""

import numpy as np
import pytest
import torch

from seqlens import alphabet as A
from seqlens.errors import DataFormatError, SeqlensError, SequenceError
from seqlens.validation import (
    as_maps,
    as_one_hot_array,
    as_probability_matrix,
    as_sequence_tensor,
    check_int,
    check_one_hot,
    check_same_shape,
    check_sequence_shape,
)


def test_check_one_hot_accepts_and_rejects():
    X = A.one_hot_encode(["ACGNA", "TTTTT"])
    assert check_one_hot(X) is X
    assert check_one_hot(torch.from_numpy(X)) is not None
    with pytest.raises(SequenceError, match=r"shape \(N, 4, L\)"):
        check_one_hot(X[0])
    with pytest.raises(SequenceError, match="channel-last"):
        check_one_hot(X.transpose(0, 2, 1))
    with pytest.raises(SequenceError, match="not one-hot: sequence 0, position 3"):
        check_one_hot(X, allow_n=False)
    bad = X.copy()
    bad[1, :, 2] = [0.5, 0.5, 0, 0]
    with pytest.raises(SequenceError, match="sequence 1, position 2"):
        check_one_hot(bad)
    bad[1, :, 2] = np.nan
    with pytest.raises(SequenceError, match="NaN"):
        check_one_hot(bad)
    with pytest.raises(SequenceError, match="length 5, expected 6"):
        check_one_hot(X, length=6)
    uniform_n = X.copy()
    uniform_n[0, :, 1] = 0.25
    assert check_one_hot(uniform_n) is uniform_n


def test_check_int_one_rule_for_python_and_numpy_integers():
    assert check_int(3, "n") == 3 and type(check_int(np.int64(3), "n")) is int
    assert check_int(np.uint8(0), "pad", minimum=0) == 0
    for bad in (0, -1, 1.0, 2.5, "3", True, np.bool_(True), None):
        with pytest.raises(SeqlensError, match="n must be a positive integer"):
            check_int(bad, "n")
    with pytest.raises(SeqlensError, match=r"pad must be an integer >= 0, got -1"):
        check_int(-1, "pad", minimum=0)


def test_sequence_tensor_accepts_numpy_and_tensors_alike():
    X = A.one_hot_encode(["ACGT", "GGCA"])
    from_numpy = as_sequence_tensor(X)
    assert from_numpy.dtype == torch.float32 and np.shares_memory(from_numpy.numpy(), X)
    assert torch.equal(as_sequence_tensor(X.astype(np.uint8)), from_numpy)  # uint8 from HDF5
    assert torch.equal(as_sequence_tensor(X.tolist()), from_numpy)
    double = torch.from_numpy(X).double()
    assert as_sequence_tensor(double) is double  # floating tensors are passed through
    assert as_sequence_tensor(double, dtype=torch.float32).dtype == torch.float32
    with pytest.raises(SequenceError, match="at least one sequence"):
        as_sequence_tensor(X[:0])
    assert as_sequence_tensor(X[:0], allow_empty=True).shape == (0, 4, 4)
    with pytest.raises(SequenceError, match="numeric"):
        as_sequence_tensor("ACGT")
    with pytest.raises(SequenceError, match="channel-last"):
        as_sequence_tensor(A.one_hot_encode(["ACGTA"]).transpose(0, 2, 1))
    with pytest.raises(SequenceError, match="NaN or infinite"):
        as_sequence_tensor(np.full((1, 4, 3), np.inf, dtype=np.float32))
    with pytest.raises(SequenceError, match="not one-hot"):
        as_sequence_tensor(np.full((1, 4, 3), 0.5, dtype=np.float32), one_hot=True)


def test_numpy_arrays_for_scoring():
    X = A.one_hot_encode(["ACGT"])
    assert as_one_hot_array(torch.from_numpy(X)).dtype == np.float64
    with pytest.raises(DataFormatError, match="attr is empty"):
        as_maps(np.zeros((0, 4, 3)), "attr")
    with pytest.raises(DataFormatError, match="must be a numeric array"):
        as_maps(object(), "attr")
    gt = np.full((2, 4, 3), 0.25)
    assert as_probability_matrix(gt) is not None
    gt[1, 0, 2] = 0.5
    with pytest.raises(DataFormatError, match="sequence 1, position 2 sums to 1.25"):
        as_probability_matrix(gt)
    with pytest.raises(DataFormatError, match=r"a has shape \(2, 4, 3\) but b has shape \(1, 4, 3\)"):
        check_same_shape(gt, gt[:1], "a", "b")
    with pytest.raises(DataFormatError, match="model input has length 3, expected 5"):
        check_sequence_shape((2, 4, 3), "model input", length=5, error=DataFormatError)
