"""The attribution method registry: the built-in table, and a new method as one module + one entry.

The toy methods below stand for a new method's own module: registering them is all it takes
for ``attribute_split``, the attribution file and ``score_attributions`` to handle them.
"""

import numpy as np
import pandas as pd
import pytest
import torch

from seqlens.alphabet import random_sequences
from seqlens.attribution import (
    GRADIENT_METHODS,
    METHOD_ALIASES,
    METHOD_KINDS,
    MethodOption,
    MethodSpec,
    attribute_split,
    canonical_methods,
    correct_gradients,
    default_params,
    get_method,
    load_attributions,
    register,
    registered_methods,
    saliency,
    save_attributions,
    unregister,
)
from seqlens.data import Split
from seqlens.errors import SeqlensError
from seqlens.evaluation import (
    angle_fractions,
    cosine_similarity,
    interpretability_scores,
    score_attribution_file,
    score_attributions,
    signal_to_noise,
)
from seqlens.models import build

BUILTIN = ("saliency", "smoothgrad", "integrated_gradients", "integrated_gradients_10_shuffled", "expected_gradients",
           "deepshap", "ism")


# --- a "new method's module": two toy methods --------------------------------------------


def doubled_saliency(model, X, target=0, batch_size=128, device=None, correct=True, scale=2.0, verbose=False):
    """A gradient method: ``scale`` x the saliency map. Returns ``(N, 4, L)``."""
    return scale * saliency(model, X, target=target, batch_size=batch_size, device=device, correct=correct)


def random_map(model, X, target=0, batch_size=128, device=None, seed=0, verbose=False):
    """Not a gradient method: a seeded standard-normal map ``(N, 4, L)`` (scored by the L2 norm)."""
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(tuple(X.shape)).astype(np.float32))


TOYS = (
    MethodSpec(
        name="saliency_x2", function=doubled_saliency, kind="hypothetical", gradient=True, defaults={"scale": 2.0},
        options=(MethodOption("--x2-scale", "scale", "Doubled saliency: factor."),), description="toy",
    ),
    MethodSpec(
        name="random_l2", function=random_map, kind="hypothetical", reduction="l2", aliases=("rnd",),
        defaults={"seed": 0}, seeded=("seed",), batch_unit="sequences", run_by_default=False,
    ),
)


@pytest.fixture
def toys():
    """The toy methods registered for one test; the registry restored afterwards."""
    before = registered_methods()
    for spec in TOYS:
        register(spec)
    try:
        yield TOYS
    finally:
        for spec in TOYS:
            if spec.name in {s.name for s in registered_methods()}:
                unregister(spec.name)
        assert registered_methods() == before


def _split(n=6, length=100, seed=0):
    rng = np.random.default_rng(seed)
    X = random_sequences(n, length, seed=rng)
    gt = np.full((n, 4, length), 0.25, dtype=np.float32)
    gt[:, :, 40:50] = X[:, :, 40:50] * 0.9 + 0.025  # a 10-column motif matching the sequence
    return Split(X=X, y=np.ones((n, 1), dtype=np.float32), ground_truth=gt)


# --- the built-in table ---------------------------------------------------------------------


def test_builtin_table_holds_the_papers_settings():
    assert [s.name for s in registered_methods()] == list(BUILTIN)
    assert dict(METHOD_ALIASES) == {"ig": "integrated_gradients", "ig_shuffled10": "integrated_gradients_10_shuffled",
                                    "eg": "expected_gradients", "shap": "deepshap"}
    assert GRADIENT_METHODS == ("saliency", "smoothgrad", "integrated_gradients", "integrated_gradients_10_shuffled",
                                "expected_gradients")
    assert "deepshap" not in GRADIENT_METHODS and "ism" not in GRADIENT_METHODS
    assert dict(METHOD_KINDS) == {**{m: "hypothetical" for m in BUILTIN[:-1]}, "ism": "ism_delta"}
    assert {s.name: s.reduction for s in registered_methods()} == {**{m: "sum" for m in BUILTIN[:-1]}, "ism": "l2"}
    assert default_params("saliency") == {}
    assert default_params("smoothgrad", seed=4) == {"n": 50, "sigma": 0.1, "seed": 4}
    assert default_params("ig", 7) == {"steps": 20, "baselines": "shuffle", "n_baselines": 1, "rule": "trapezoid", "seed": 7}
    assert default_params("ig_shuffled10", 7) == {"steps": 20, "baselines": "shuffle", "n_baselines": 10,
                                                  "rule": "trapezoid", "seed": 7}
    assert default_params("eg") == {"n_references": 20, "steps": 20, "references": "shuffle", "rule": "trapezoid", "seed": 0}
    assert default_params("SHAP", 2) == {"n_references": 10, "references": "dinuc_shuffle", "seed": 2}
    assert default_params("ism") == {"fast": True}
    assert {s.name: s.batch_unit for s in registered_methods()} == {
        "saliency": "sequences", "smoothgrad": "noisy copies", "integrated_gradients": "path points",
        "integrated_gradients_10_shuffled": "path points", "expected_gradients": "path points",
        "deepshap": "(sequence, reference) pairs", "ism": "mutants",
    }
    flags = {o.flag: (s.name, o.param) for s in registered_methods() for o in s.options}
    assert flags == {
        "--smoothgrad-samples": ("smoothgrad", "n"), "--smoothgrad-sigma": ("smoothgrad", "sigma"),
        "--ig-steps": ("integrated_gradients", "steps"), "--eg-references": ("expected_gradients", "n_references"),
        "--eg-steps": ("expected_gradients", "steps"), "--shap-references": ("deepshap", "n_references"),
    }
    from seqlens.attribution import deepshap, expected_gradients, integrated_gradients, ism, smoothgrad

    functions = [saliency, smoothgrad, integrated_gradients, integrated_gradients, expected_gradients, deepshap, ism]
    assert [get_method(name).resolve() for name in BUILTIN] == functions
    assert canonical_methods("IG, eg,ism,ig") == ["integrated_gradients", "expected_gradients", "ism"]
    # Not run by `seqlens attribute` without --methods: it costs 10x integrated_gradients.
    by_default = [s.name for s in registered_methods() if s.run_by_default]
    assert by_default == [m for m in BUILTIN if m != "integrated_gradients_10_shuffled"]


def test_paper_002_integrated_gradients_have_their_own_name():
    """002's "integrated gradients" average 10 shuffled references; ``ig`` is one baseline."""
    ig, ig10 = get_method("ig"), get_method("integrated_gradients_10_shuffled")
    assert get_method("IG_SHUFFLED10") is ig10 and canonical_methods("ig_shuffled10,ig") == [ig10.name, ig.name]
    assert ig.function == ig10.function and ig10.gradient and ig10.kind == "hypothetical"
    # The descriptions say what each computes and where the paper's method is.
    assert "ONE shuffled" in ig.description and "integrated_gradients_10_shuffled" in ig.description
    assert all(w in ig10.description for w in ("002", "10 shuffled", "20 trapezoid", "n_references=10"))
    assert "20 shuffled references" in get_method("eg").description
    # It computes expected gradients with 10 references: the same maps for the same seed,
    # and not the one-baseline map.
    split = _split(n=4)
    model = build("cnn_local", activation="relu", input_length=100, filters=8, seed=0)
    ten = attribute_split(model, split, "ig_shuffled10", seed=3).methods[ig10.name]
    eg = attribute_split(model, split, "eg", seed=3, params={"eg": {"n_references": 10}}).methods["expected_gradients"]
    one = attribute_split(model, split, "ig", seed=3).methods[ig.name]
    assert ten.params == {**default_params(ig10.name, 3), "correct": False}
    for variant in ("raw", "corrected"):
        np.testing.assert_array_equal(ten.maps[variant], eg.maps[variant])
        assert not np.allclose(ten.maps[variant], one.maps[variant])


def test_registration_is_checked(toys):
    with pytest.raises(SeqlensError, match=r"\['ig'\] already registered"):
        register(MethodSpec(name="my_ig", function=random_map, kind="hypothetical", aliases=("ig",)))
    with pytest.raises(SeqlensError, match=r"option\(s\) \['--ig-steps'\]"):
        register(name="other", function=random_map, kind="hypothetical", defaults={"steps": 3},
                 options=(MethodOption("--ig-steps", "steps", "clash"),))
    with pytest.raises(SeqlensError, match="kind must be one of"):
        MethodSpec(name="bad", function=random_map, kind="gradient")
    with pytest.raises(SeqlensError, match="reduction must be one of"):
        MethodSpec(name="bad", function=random_map, kind="hypothetical", reduction="max")
    with pytest.raises(SeqlensError, match="must have defaults"):
        MethodSpec(name="bad", function=random_map, kind="hypothetical", seeded=("seed",))
    with pytest.raises(SeqlensError, match="cannot import"):
        MethodSpec(name="bad", function="seqlens.attribution:no_such_method", kind="hypothetical").resolve()
    with pytest.raises(SeqlensError, match="unknown attribution method 'gradcam'.*rnd \\(= random_l2\\)"):
        canonical_methods("saliency,gradcam")
    # replace=True swaps an entry of the same name (and the fixture still restores the table).
    register(MethodSpec(name="random_l2", function=random_map, kind="hypothetical", defaults={"seed": 1}), replace=True)
    assert get_method("random_l2").defaults == {"seed": 1} and "rnd" not in METHOD_ALIASES
    register(TOYS[1], replace=True)


def test_a_registered_toy_method_runs_end_to_end(toys, tmp_path):
    # The views follow the registry.
    assert "saliency_x2" in GRADIENT_METHODS and "random_l2" not in GRADIENT_METHODS
    assert METHOD_ALIASES["rnd"] == "random_l2" and METHOD_KINDS["saliency_x2"] == "hypothetical"
    assert default_params("rnd", 9) == {"seed": 9}

    split = _split()
    model = build("cnn_local", activation="exponential", input_length=100, filters=8, seed=0)
    attributions = attribute_split(model, split, "saliency, saliency_x2, rnd", seed=5, split_name="test")
    assert list(attributions.methods) == ["saliency", "saliency_x2", "random_l2"]
    path = save_attributions(attributions, tmp_path / "toy.h5")
    loaded = load_attributions(path)
    assert list(loaded.methods) == ["saliency", "saliency_x2", "random_l2"]

    X = torch.from_numpy(split.X)
    base = saliency(model, X, correct=False).numpy()
    doubled, rnd = loaded.methods["saliency_x2"], loaded.methods["random_l2"]
    # The gradient toy: called with correct=False, stored raw and corrected; params recorded.
    assert (doubled.kind, doubled.gradient, doubled.reduction) == ("hypothetical", True, "sum")
    assert doubled.params == {"scale": 2.0, "correct": False}
    np.testing.assert_array_equal(doubled.maps["raw"], 2 * base)
    np.testing.assert_array_equal(doubled.maps["corrected"], correct_gradients(torch.from_numpy(2 * base)).numpy())
    # The seeded toy: gets the run's seed, one raw map, reduced by the L2 norm.
    assert (rnd.kind, rnd.gradient, rnd.reduction) == ("hypothetical", False, "l2")
    assert rnd.params == {"seed": 5} and list(rnd.maps) == ["raw"]
    np.testing.assert_array_equal(rnd.maps["raw"], np.random.default_rng(5).standard_normal(split.X.shape).astype(np.float32))

    scores = score_attributions(loaded)
    pairs = list(scores[["method", "variant"]].drop_duplicates().itertuples(index=False, name=None))
    assert pairs == [("saliency", "raw"), ("saliency", "corrected"), ("saliency_x2", "raw"),
                     ("saliency_x2", "corrected"), ("random_l2", "raw")]

    def rows(method, variant):
        return scores[(scores["method"] == method) & (scores["variant"] == variant)].reset_index(drop=True)

    X, gt = loaded.X, loaded.ground_truth
    # Twice the map ranks the positions the same: AUROC/AUPR equal, cosine/SNR/angles scale-free.
    for variant in ("raw", "corrected"):
        once, twice = rows("saliency", variant), rows("saliency_x2", variant)
        for column in ("auroc", "aupr_trapezoid", "average_precision"):
            np.testing.assert_array_equal(twice[column], once[column])
        for column in ("cosine", "snr"):
            np.testing.assert_allclose(twice[column], once[column], rtol=1e-12)
    expected = interpretability_scores(doubled.maps["raw"], X, gt)
    np.testing.assert_allclose(rows("saliency_x2", "raw")["auroc"], expected["auroc"], rtol=1e-12)
    assert expected["auroc"].notna().all() and expected["auroc"].nunique() > 1
    angles = angle_fractions(doubled.maps["raw"], gt)
    np.testing.assert_allclose(rows("saliency_x2", "raw")[angles.columns], angles, rtol=1e-12)
    assert rows("saliency_x2", "corrected")["above_30"].isna().all()  # angles on raw maps only
    # The L2 toy is scored with its registered reduction, not by summing map x input.
    random_rows = rows("random_l2", "raw")
    l2 = interpretability_scores(rnd.maps["raw"], X, gt, reduction="l2")
    summed = interpretability_scores(rnd.maps["raw"], X, gt, reduction="sum")
    np.testing.assert_allclose(random_rows["auroc"], l2["auroc"], rtol=1e-12)
    assert not np.allclose(random_rows["auroc"], summed["auroc"])
    np.testing.assert_allclose(random_rows["snr"], signal_to_noise(rnd.maps["raw"], X, gt, reduction="l2")["snr"], rtol=1e-12)
    np.testing.assert_allclose(random_rows["cosine"], cosine_similarity(rnd.maps["raw"], gt)["cosine"], rtol=1e-12)
    assert random_rows["above_30"].isna().all()  # not a gradient method

    # The file-level entry point gives the same table, plus pooled angles of both gradient methods.
    result = score_attribution_file(path)
    pd.testing.assert_frame_equal(result.scores, scores)
    assert result.angles["method"].unique().tolist() == ["saliency", "saliency_x2"]
    once = result.angles[result.angles["method"] == "saliency"].drop(columns="method").reset_index(drop=True)
    twice = result.angles[result.angles["method"] == "saliency_x2"].drop(columns="method").reset_index(drop=True)
    pd.testing.assert_frame_equal(once, twice, rtol=1e-12)


def test_unregistered_methods_in_a_file_fall_back_to_their_kind(toys, tmp_path):
    split = _split(n=3)
    model = build("cnn_local", activation="relu", input_length=100, filters=8, seed=0)
    path = save_attributions(attribute_split(model, split, ["rnd", "saliency_x2"], seed=1), tmp_path / "toy.h5")
    unregister("random_l2")
    unregister("saliency_x2")
    loaded = load_attributions(path)  # files do not need the registry to be read
    assert loaded.methods["random_l2"].reduction == "sum"  # by kind (hypothetical)
    assert not loaded.methods["saliency_x2"].gradient
    with pytest.raises(SeqlensError, match="unknown attribution method 'rnd'"):
        canonical_methods("rnd")
