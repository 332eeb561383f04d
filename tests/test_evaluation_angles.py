"""Gradient-angle statistics, correction effect by angle and the ensemble reference."""

import numpy as np
import pytest
import torch

from seqlens.alphabet import one_hot_encode
from seqlens.attribution import correct_gradients
from seqlens.errors import SeqlensError
from seqlens.evaluation import (
    angle_fractions,
    angle_histogram,
    angle_summary,
    correction_effect,
    correction_effect_by_angle,
    ensemble_distances,
    position_angles,
)

# A unit vector in the simplex plane and the plane's unit normal: g = cos(t) u + sin(t) n has
# angle exactly t to the plane.
IN_PLANE = np.array([1.0, -1.0, 0.0, 0.0]) / np.sqrt(2)
NORMAL = np.full(4, 0.5)
ANGLES = np.array([0.0, 20.0, 40.0, 50.0, 70.0, -80.0])


def _gradients_with_angles(angles_deg, scale=1.0):
    t = np.deg2rad(np.asarray(angles_deg, dtype=float))
    grads = np.cos(t)[None, :] * IN_PLANE[:, None] + np.sin(t)[None, :] * NORMAL[:, None]
    return (scale * grads)[None]  # (1, 4, L)


def _ground_truth(length, motif_positions):
    M = np.full((1, 4, length), 0.25)
    M[0, :, motif_positions] = [1.0, 0.0, 0.0, 0.0]
    return M


def test_position_angles_of_constructed_gradients():
    grads = _gradients_with_angles(ANGLES, scale=3.0)
    np.testing.assert_allclose(position_angles(grads)[0], ANGLES, atol=1e-9)
    np.testing.assert_allclose(position_angles(torch.from_numpy(grads).float())[0], ANGLES, atol=1e-4)
    assert position_angles(ANGLES[None]) is not None  # (N, L) angles pass through
    with pytest.raises(SeqlensError, match="degrees"):
        position_angles(np.array([[100.0]]))


def test_angle_fractions_all_motif_background():
    grads = _gradients_with_angles(ANGLES)
    M = _ground_truth(6, [2, 3, 4])  # motif at angles 40, 50, 70; background 0, 20, -80
    table = angle_fractions(grads, M)
    row = table.iloc[0]
    # |angle| > 30: 40, 50, 70, -80 -> 4/6; > 45: 50, 70, -80 -> 3/6; > 60: 70, -80 -> 2/6.
    assert [row.above_30, row.above_45, row.above_60] == pytest.approx([4 / 6, 3 / 6, 2 / 6])
    assert [row.motif_above_30, row.motif_above_45, row.motif_above_60] == pytest.approx([1, 2 / 3, 1 / 3])
    assert [row.background_above_30, row.background_above_45, row.background_above_60] == pytest.approx([1 / 3] * 3)
    no_motif = angle_fractions(grads, np.full((1, 4, 6), 0.25))
    assert np.isnan(no_motif["motif_above_30"].iloc[0])
    assert no_motif["background_above_30"].iloc[0] == pytest.approx(4 / 6)
    assert list(angle_fractions(grads).columns) == ["above_30", "above_45", "above_60"]


def test_angle_summary_and_histogram():
    grads = _gradients_with_angles(ANGLES)
    M = _ground_truth(6, [2, 3, 4])
    summary = angle_summary(grads, M)
    assert summary.loc["all", "n"] == 6
    assert summary.loc["all", "mean"] == pytest.approx(ANGLES.mean())
    assert summary.loc["motif", "sd"] == pytest.approx(np.std([40.0, 50.0, 70.0]))
    assert summary.loc["background", "above_60"] == pytest.approx(1 / 3)
    hist = angle_histogram(grads, M, bins=[-90, -45, 0, 45, 90])
    # Motif angles 40 | 50, 70: densities (1/3)/45 and (2/3)/45; background -80 | 0, 20.
    assert hist["motif"].tolist() == pytest.approx([0, 0, 1 / 135, 2 / 135])
    assert hist["background"].tolist() == pytest.approx([1 / 135, 0, 2 / 135, 0])


def test_correction_effect_matches_geometry():
    rng = np.random.default_rng(1)
    X = one_hot_encode(["".join(rng.choice(list("ACGT"), 30)) for _ in range(4)]).astype(np.float64)
    M = np.full(X.shape, 0.25)
    M[:, :, 5:15] = rng.dirichlet(np.full(4, 0.3), size=(4, 10)).transpose(0, 2, 1)
    grads = rng.normal(size=X.shape) + rng.normal(size=(4, 1, 30))  # shared off-simplex part
    effect = correction_effect(grads, X, M)
    assert len(effect) == 4 * 30
    motif = effect[effect["positions"] == "motif"]
    assert len(motif) > 0 and effect.loc[effect["positions"] == "background", "cosine_raw"].isna().all()
    cos_angle = np.cos(np.deg2rad(motif["angle"].to_numpy()))
    # M - 0.25 lies in the simplex plane: the raw cosine is the corrected one times cos(angle),
    # so the gain is cos_corrected * (1 - cos(angle)) <= 1 - cos(angle) (paper 003, Fig. 3c).
    np.testing.assert_allclose(motif["cosine_raw"], motif["cosine_corrected"] * cos_angle, atol=1e-12)
    assert (motif["cosine_gain"].to_numpy() <= 1 - cos_angle + 1e-12).all()
    corrected = correct_gradients(torch.from_numpy(grads)).numpy()
    np.testing.assert_allclose(effect["score_corrected"], np.sum(corrected * X, axis=1).ravel())
    np.testing.assert_allclose(effect["score_raw"], np.sum(grads * X, axis=1).ravel())
    binned = correction_effect_by_angle(effect, bins=[0, 30, 60, 90])
    class_sizes = effect["positions"].value_counts()
    assert binned.groupby("positions", observed=True)["n"].sum().to_dict() == class_sizes[class_sizes > 0].to_dict()
    motif_bins = binned[binned["positions"] == "motif"]
    assert (motif_bins["mean_cosine_gain"] <= motif_bins["cosine_gain_bound"] + 1e-12).all()


def test_correction_effect_by_angle_bins_hand_case():
    grads = _gradients_with_angles([0.0, 10.0, 40.0, 90.0])
    X = one_hot_encode("AAAA")[None]
    effect = correction_effect(grads, X, np.full((1, 4, 4), 0.25))
    binned = correction_effect_by_angle(effect, bins=[0, 30, 90])
    # [0, 30) holds 0 and 10 degrees; [30, 90] (last bin closed) holds 40 and 90.
    assert binned[["angle_low", "n"]].values.tolist() == [[0, 2], [30, 2]]
    # The corrected score at the observed A is u_A * cos(t) = cos(t) / sqrt(2); raw adds sin(t) / 2.
    assert binned["mean_abs_score_corrected"].tolist() == pytest.approx(
        [(1 + np.cos(np.deg2rad(10))) / 2 / np.sqrt(2), np.cos(np.deg2rad(40)) / 2 / np.sqrt(2)]
    )
    with pytest.raises(SeqlensError, match="bins"):
        correction_effect_by_angle(effect, bins=[0, 100])


def test_ensemble_hand_case():
    # Two models, one sequence, two positions. Model 1 is on the simplex; model 0 = model 1 plus
    # the off-simplex component 0.5 (1, 1, 1, 1) at position 0.
    on_simplex = np.stack([IN_PLANE * 2, -IN_PLANE], axis=1)  # (4, 2)
    model1 = on_simplex[None]
    model0 = model1.copy()
    model0[0, :, 0] += 0.5
    result = ensemble_distances([model0, model1])
    # Leave-one-out: model 0's reference is model 1 and vice versa. Raw distance at position 0
    # is |0.5 (1,1,1,1)| = 1, corrected 0 (the correction removes exactly that component);
    # position 1 matches: distances 0. Means over the 2 positions: raw 0.5, corrected 0.
    per_model = result.per_model.set_index("model")
    columns = ["mean_distance_raw", "mean_distance_corrected", "reduction_percent"]
    assert per_model.loc[0, columns].tolist() == pytest.approx([0.5, 0.0, 100.0])
    # Model 1 (on the simplex) against model 0's raw map: correcting model 1 changes nothing.
    assert per_model.loc[1, "reduction_percent"] == pytest.approx(0.0)
    # Model 0, position 0: |g| = |2u + 0.5 * 2n| = sqrt(4 + 1), sin = 1 / sqrt(5) -> 26.57 deg.
    # Position 1 (angle 0, distance 0) is in bin [0, 10) with no defined reduction.
    rows = result.by_angle[result.by_angle["model"] == 0].set_index("angle_low")
    assert rows.loc[20.0, ["n", "mean_reduction_percent"]].tolist() == pytest.approx([1, 100.0])
    assert rows.loc[0.0, "n"] == 1 and np.isnan(rows.loc[0.0, "mean_reduction_percent"])
    assert np.degrees(np.arcsin(1 / np.sqrt(5))) == pytest.approx(26.565, abs=1e-3)


def test_ensemble_corrected_reference_never_increases_distance():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(5, 3, 4, 20)) + rng.normal(size=(5, 3, 1, 20))
    corrected_ref = ensemble_distances(grads, reference="corrected")
    assert (corrected_ref.per_model["reduction_percent"] >= -1e-9).all()
    assert (corrected_ref.by_angle["mean_reduction_percent"] >= -1e-9).all()
    all_models = ensemble_distances(grads, leave_one_out=False)
    assert (all_models.per_model["mean_distance_raw"] < ensemble_distances(grads).per_model["mean_distance_raw"]).all()
    assert corrected_ref.by_angle.groupby("model")["n"].sum().tolist() == [60] * 5
    with pytest.raises(SeqlensError, match="at least 2 models"):
        ensemble_distances(grads[:1])
    with pytest.raises(SeqlensError, match="same shape"):
        ensemble_distances([grads[0], grads[1][:, :, :5]])
