"""Tests of seqlens.plotting: the fast logo renderer (against hand-computed stacks and against
logomaker's glyphs), saved files, motif-site shading, metric plots and input checks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import logomaker
import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from scipy.stats import spearmanr

from seqlens import plotting
from seqlens.errors import DataFormatError, SeqlensError
from seqlens.evaluation import angle_histogram
from seqlens.motifs import Motif, information_content
from seqlens.plotting.logos import GLYPH_WIDTH, unit_glyph

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def new_ax() -> Axes:
    return Figure(figsize=(6, 2)).add_subplot()


def glyph_collections(ax) -> dict[str, PathCollection]:
    return {c.get_label(): c for c in ax.collections if isinstance(c, PathCollection)}


def extents(path) -> tuple[float, float, float, float]:
    box = path.get_extents()
    return box.x0, box.x1, box.y0, box.y1


def site_patches(ax) -> list:
    return sorted((p for p in ax.patches if (p.get_gid() or "").startswith("motif-site-")), key=lambda p: p.get_gid())


# ---------------------------------------------------------------------------------------
# Renderer geometry
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("letter", list("ACGT"))
def test_unit_glyph_fills_the_unit_square(letter):
    np.testing.assert_allclose(extents(unit_glyph(letter)), (0, 1, 0, 1), atol=1e-12)


def test_stack_glyphs_hand_computed():
    values = np.array([[2.0, 1.0, 0.5], [0.0, -0.5, 0.5], [0.0, 2.0, -1.0], [0.0, -1.0, -1.0]])
    bottom, top = plotting.stack_glyphs(values)
    # column 0: only A, 0..2
    np.testing.assert_allclose(bottom[:, 0], [0, 0, 0, 0])
    np.testing.assert_allclose(top[:, 0], [2, 0, 0, 0])
    # column 1: A 0..1 below the larger G 1..3; C -0.5..0 next to the axis, T -1.5..-0.5 below it
    np.testing.assert_allclose(bottom[:, 1], [0, -0.5, 1, -1.5])
    np.testing.assert_allclose(top[:, 1], [1, 0, 3, -0.5])
    # column 2: ties keep channel order (A under C; G under T's position, i.e. G lowest)
    np.testing.assert_allclose(bottom[:, 2], [0, 0.5, -2, -1])
    np.testing.assert_allclose(top[:, 2], [0.5, 1, -1, 0])


def test_single_letter_column_draws_one_glyph_spanning_its_height():
    matrix = np.zeros((4, 5))
    matrix[0, 3] = 2.0
    ax = plotting.logo(matrix, ax=new_ax())
    collections = glyph_collections(ax)
    assert list(collections) == ["A"]
    (path,) = collections["A"].get_paths()
    np.testing.assert_allclose(extents(path), (3 - GLYPH_WIDTH / 2, 3 + GLYPH_WIDTH / 2, 0, 2), atol=1e-9)
    assert ax.get_xlim() == (-0.5, 4.5)


def test_negative_letters_go_below_the_axis_upside_down():
    matrix = np.zeros((4, 2))
    matrix[1, 0] = -1.5  # C below the axis
    matrix[3, 1] = 0.7
    ax = plotting.logo(matrix, ax=new_ax())
    collections = glyph_collections(ax)
    (c_path,) = collections["C"].get_paths()
    np.testing.assert_allclose(extents(c_path), (-GLYPH_WIDTH / 2, GLYPH_WIDTH / 2, -1.5, 0), atol=1e-9)
    unit = unit_glyph("C").vertices
    np.testing.assert_allclose(c_path.vertices[:, 1], -1.5 + 1.5 * (1 - unit[:, 1]))  # flipped
    unflipped = plotting.logo(matrix, ax=new_ax(), flip_below=False)
    np.testing.assert_allclose(glyph_collections(unflipped)["C"].get_paths()[0].vertices[:, 1], -1.5 + 1.5 * unit[:, 1])
    low, high = ax.get_ylim()
    assert low < -1.5 and high > 0.7


def test_stacking_order_in_drawn_glyphs():
    matrix = np.array([[0.3], [1.2], [-0.4], [-0.9]])  # A, C up (C on top); G, T down (T lowest)
    collections = glyph_collections(plotting.logo(matrix, ax=new_ax()))
    spans = {letter: extents(coll.get_paths()[0])[2:] for letter, coll in collections.items()}
    np.testing.assert_allclose(spans["A"], (0, 0.3), atol=1e-9)
    np.testing.assert_allclose(spans["C"], (0.3, 1.5), atol=1e-9)
    np.testing.assert_allclose(spans["G"], (-0.4, 0), atol=1e-9)
    np.testing.assert_allclose(spans["T"], (-1.3, -0.4), atol=1e-9)


def test_artist_count_is_per_letter_not_per_position():
    rng = np.random.default_rng(0)
    counts = {}
    for length in (20, 200):
        ax = plotting.logo(rng.normal(size=(4, length)), ax=new_ax())
        collections = glyph_collections(ax)
        assert sorted(collections) == list("ACGT")
        assert sum(len(c.get_paths()) for c in collections.values()) == 4 * length
        assert not ax.patches  # no per-glyph patches
        counts[length] = len(ax.get_children())
    assert counts[20] == counts[200]


def test_zero_heights_draw_nothing():
    ax = plotting.logo(np.zeros((4, 10)), ax=new_ax())
    assert not glyph_collections(ax)


def test_matches_logomaker_glyphs():
    """logomaker as an independent reference: same floor/ceiling and placement of every glyph."""
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(4, 30)) * (rng.random((4, 30)) < 0.6)
    matrix[:, 5] = 0.0
    reference = logomaker.Logo(pd.DataFrame(matrix.T, columns=list("ACGT")), ax=new_ax())
    ax = plotting.logo(matrix, ax=new_ax())
    ours = {letter: iter(coll.get_paths()) for letter, coll in glyph_collections(ax).items()}
    n_compared = 0
    for position in range(matrix.shape[1]):
        for channel, letter in enumerate("ACGT"):
            glyph = reference.glyph_df.loc[position, letter]
            if glyph.patch is None:  # logomaker draws nothing for a zero height
                assert matrix[channel, position] == 0
                continue
            x0, x1, y0, y1 = extents(next(ours[letter]))
            ref = glyph.patch.get_path().get_extents()
            np.testing.assert_allclose((y0, y1), (glyph.floor, glyph.ceiling), atol=1e-9)
            np.testing.assert_allclose((y0, y1), (ref.y0, ref.y1), atol=1e-6)
            np.testing.assert_allclose((x0 + x1) / 2, (ref.x0 + ref.x1) / 2, atol=1e-6)
            n_compared += 1
    assert n_compared == np.count_nonzero(matrix)
    assert all(next(paths, None) is None for paths in ours.values())  # no extra glyphs


# ---------------------------------------------------------------------------------------
# Logo kinds
# ---------------------------------------------------------------------------------------


def motif() -> Motif:
    ppm = np.array([[0.97, 0.25, 0.1], [0.01, 0.25, 0.2], [0.01, 0.25, 0.3], [0.01, 0.25, 0.4]])
    return Motif("toy", ppm, id="XX0001.1")


def test_information_logo_heights_are_probability_times_bits():
    ppm = motif().ppm
    heights = plotting.logo_heights(ppm, "information")
    np.testing.assert_allclose(heights.sum(axis=0)[[0, 2]], information_content(ppm)[[0, 2]])
    np.testing.assert_allclose(heights[:, 0] / heights[:, 0].sum(), ppm[:, 0])
    assert (heights[:, 1] == 0).all()  # the uniform column: no slivers
    np.testing.assert_allclose(plotting.logo_heights(ppm, "probability"), ppm)


def test_plot_motif_information_axes():
    ax = plotting.plot_motif(motif(), ax=new_ax())
    assert ax.get_ylim() == (0.0, 2.0)
    assert ax.get_ylabel() == "bits"
    assert ax.get_title() == "toy (XX0001.1)"
    a_glyph = glyph_collections(ax)["A"].get_paths()[0]
    np.testing.assert_allclose(extents(a_glyph)[3], information_content(motif().ppm)[0], atol=1e-6)
    assert plotting.plot_motif(motif().ppm, ax=new_ax(), kind="probability").get_ylim() == (0.0, 1.0)


def test_plot_filters_grid_titles_and_hidden_axes():
    motifs = [motif(), motif().reverse_complement(), np.full((4, 6), 0.25)]
    fig = plotting.plot_filters(motifs, ncols=2, labels=["hit A", "hit B", "none"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and len(visible) == 3
    assert [ax.get_title() for ax in visible] == ["toy (XX0001.1)\nhit A", "toy (XX0001.1)\nhit B", "filter 2\nnone"]
    assert not glyph_collections(visible[2])  # a uniform filter has no information


def test_accepts_torch_tensors():
    matrix = torch.zeros(4, 3)
    matrix[2, 1] = 1.0
    collections = glyph_collections(plotting.logo(matrix, ax=new_ax()))
    assert list(collections) == ["G"]


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


def test_saves_valid_png_svg_pdf(tmp_path):
    rng = np.random.default_rng(2)
    sites = pd.DataFrame({"start": [3], "end": [9], "motif": ["SP1"], "strand": ["+"]})
    for name in ("logo.png", "logo.svg", "logo.pdf"):
        out = plotting.logo(rng.normal(size=(4, 40)), sites=sites, path=tmp_path / name)
        assert out == tmp_path / name
    assert (tmp_path / "logo.png").read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / "logo.pdf").read_bytes()[:5] == b"%PDF-"
    root = ET.parse(tmp_path / "logo.svg").getroot()
    assert root.tag.endswith("svg")
    ids = {el.get("id") for el in root.iter()}
    assert {"logo-A", "logo-C", "logo-G", "logo-T", "motif-site-0"} <= ids
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logo.pdf", "logo.png", "logo.svg"]  # no temp files left


def test_unknown_extension_raises_and_writes_nothing(tmp_path):
    with pytest.raises(SeqlensError, match=r"\.png, \.svg or \.pdf"):
        plotting.logo(np.ones((4, 3)), path=tmp_path / "logo.jpg")
    assert not list(tmp_path.iterdir())


def test_every_plot_saves(tmp_path):
    table = pd.DataFrame(
        {"model": ["a", "a", "b", "b"], "auroc": [0.7, 0.8, 0.9, 0.85], "interp": [0.6, 0.5, 0.7, 0.9]}
    )
    gt = np.full((4, 20), 0.25)
    gt[:, 5:8] = np.eye(4)[:, :3]
    outputs = [
        plotting.plot_attribution(np.ones((4, 20)), ground_truth=gt, path=tmp_path / "attr.png"),
        plotting.plot_motif(motif(), path=tmp_path / "motif.svg"),
        plotting.plot_filters([motif()], path=tmp_path / "filters.png"),
        plotting.metric_boxplot(table, path=tmp_path / "box.png"),
        plotting.metric_scatter(table, y="interp", path=tmp_path / "scatter.svg"),
        plotting.angle_histogram_plot(np.zeros((2, 10)), path=tmp_path / "angles.png"),
    ]
    for out in outputs:
        data = out.read_bytes()
        assert data[:8] == PNG_MAGIC if out.suffix == ".png" else ET.fromstring(data).tag.endswith("svg")


def test_saving_a_pyplot_figure_closes_it(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, ax = plt.subplots()
    plotting.logo(np.ones((4, 3)), ax=ax, path=tmp_path / "logo.png")
    assert not plt.fignum_exists(fig.number)


def test_figures_are_not_registered_with_pyplot():
    fig = plotting.plot_attribution(np.ones((4, 5)))
    assert isinstance(fig, Figure) and fig.canvas.manager is None


# ---------------------------------------------------------------------------------------
# Motif sites
# ---------------------------------------------------------------------------------------


def test_site_shading_from_motif_sites_table():
    sites = pd.DataFrame(
        {"sequence": [0, 1, 1], "motif": ["SP1", "MAX", "SP1"], "motif_id": ["", "", ""], "strand": ["+", "-", "+"],
         "start": [2, 4, 20], "end": [10, 14, 31]}
    )
    ax = plotting.logo(np.ones((4, 40)), ax=new_ax(), sites=sites, sequence=1)
    patches = site_patches(ax)
    assert len(patches) == 2
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in patches]
    np.testing.assert_allclose(spans, [(3.5, 13.5), (19.5, 30.5)])
    assert patches[0].get_facecolor() != patches[1].get_facecolor()  # different motifs
    assert sorted(t.get_text() for t in ax.texts) == ["MAX (-)", "SP1 (+)"]
    with pytest.raises(SeqlensError, match="several sequences"):
        plotting.logo(np.ones((4, 40)), ax=new_ax(), sites=sites)


def test_ground_truth_spans_and_attribution_panels():
    gt = np.full((4, 30), 0.25)
    gt[:, 4:9] = np.eye(4)[:, [0, 1, 2, 3, 0]]
    gt[:, 9:12] = [[0.7], [0.1], [0.1], [0.1]]  # abutting motif: one run
    gt[:, 20:24] = np.eye(4)[:, [3, 3, 2, 2]]
    spans = plotting.ground_truth_spans(gt)
    assert spans[["start", "end"]].values.tolist() == [[4, 12], [20, 24]]

    X = np.eye(4)[:, np.arange(30) % 4]
    attr = np.arange(1, 121, dtype=float).reshape(4, 30)
    fig = plotting.plot_attribution(attr, X=X, ground_truth=gt)
    truth_ax, attr_ax = fig.axes
    for ax in (truth_ax, attr_ax):
        assert [(p.get_x(), p.get_x() + p.get_width()) for p in site_patches(ax)] == [(3.5, 11.5), (19.5, 23.5)]
    paths = [path for coll in glyph_collections(attr_ax).values() for path in coll.get_paths()]
    assert len(paths) == 30  # times input: one letter per position
    np.testing.assert_allclose(max(extents(p)[3] for p in paths), (attr * X).sum(axis=0).max())
    assert attr_ax.get_ylabel() == "attribution x input" and truth_ax.get_ylim() == (0.0, 2.0)


@pytest.fixture(scope="module")
def regulatory_code():
    from seqlens.synthetic import regulatory_code_dataset

    return regulatory_code_dataset(n=200, seed=0)


def test_real_example_ground_truth_and_attribution(regulatory_code, tmp_path):
    test = regulatory_code.test
    i = int(np.flatnonzero(test.y[:, 0] == 1)[0])
    attr = test.ground_truth[i] - 0.25
    out = plotting.plot_attribution(attr, X=test.X[i], ground_truth=test.ground_truth[i], sites=test.motif_sites,
                                    sequence=i, path=tmp_path / "example.png")
    assert out.read_bytes()[:8] == PNG_MAGIC
    fig = plotting.plot_attribution(
        attr, X=test.X[i], ground_truth=test.ground_truth[i], sites=test.motif_sites, sequence=i
    )
    mine = test.motif_sites[test.motif_sites["sequence"] == i]
    truth_ax = fig.axes[0]
    assert len(site_patches(truth_ax)) == len(mine) >= 3
    assert [t.get_text() for t in truth_ax.texts] == [f"{m} ({s})" for m, s in zip(mine["motif"], mine["strand"])]
    # every informative ground-truth column lies inside a shaded site
    informative = np.flatnonzero(information_content(test.ground_truth[i]) > 1e-6)
    inside = np.zeros(test.ground_truth.shape[2], dtype=bool)
    for start, end in zip(mine["start"], mine["end"]):
        inside[start:end] = True
    assert inside[informative].all()


# ---------------------------------------------------------------------------------------
# Metric plots
# ---------------------------------------------------------------------------------------


def tidy_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [
        {"model": model, "method": method, "auroc": rng.normal(0.8, 0.05)}
        for model in ("local", "dist", "deep") for method in ("saliency", "ism") for _ in range(7)
    ]
    table = pd.DataFrame(rows)
    table.loc[0, "auroc"] = np.nan  # a sequence without positives
    return table


def test_metric_boxplot_boxes_and_points():
    table = tidy_table()
    ax = plotting.metric_boxplot(table, x="model", y="auroc", hue="method", ax=new_ax())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["local", "dist", "deep"]
    medians = [float(np.mean(line.get_ydata())) for line in ax.lines if line.get_gid() == "median"]
    expected = table.dropna().groupby(["method", "model"], sort=False)["auroc"].median()
    in_drawing_order = [expected[(h, m)] for h in ("saliency", "ism") for m in ("local", "dist", "deep")]
    np.testing.assert_allclose(medians, in_drawing_order)
    points = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    np.testing.assert_allclose(np.sort(points), np.sort(table["auroc"].dropna()))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["saliency", "ism"]
    again = plotting.metric_boxplot(table, x="model", y="auroc", hue="method", ax=new_ax())
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), again.collections[0].get_offsets())  # seeded jitter


def test_metric_scatter_points_and_correlation():
    table = pd.DataFrame({
        "model": list("abcde"), "auroc": [0.9, 0.8, 0.95, 0.7, 0.85], "interp": [0.7, 0.65, 0.8, 0.5, 0.9],
        "act": ["relu", "exp", "relu", "exp", "relu"], "sd": [0.01] * 5,
    })
    ax = plotting.metric_scatter(table, x="auroc", y="interp", hue="act", label="model", xerr="sd", ax=new_ax())
    points = np.concatenate([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    np.testing.assert_allclose(sorted(map(tuple, points)), sorted(zip(table["auroc"], table["interp"])))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["relu", "exp"]
    rho = spearmanr(table["auroc"], table["interp"]).statistic
    assert f"Spearman rho = {rho:.2f} (n = 5)" in [t.get_text() for t in ax.texts]
    assert {t.get_text() for t in ax.texts} >= set("abcde")


def test_angle_histogram_plot_matches_evaluation_table():
    rng = np.random.default_rng(4)
    grads = rng.normal(size=(5, 4, 50))
    gt = np.full((5, 4, 50), 0.25)
    gt[:, :, 10:20] = np.eye(4)[:, rng.integers(0, 4, 10)]
    expected = angle_histogram(grads, gt, bins=18)
    ax = plotting.angle_histogram_plot(grads, gt, bins=18, ax=new_ax())
    outlines = {s.get_label(): s for s in ax.patches if s.get_label() in ("motif", "background")}
    for name in ("motif", "background"):
        values, edges, _ = outlines[name].get_data()
        np.testing.assert_allclose(values, expected[name])
        np.testing.assert_allclose(edges, np.linspace(-90, 90, 19))
    from_table = plotting.angle_histogram_plot(expected, ax=new_ax())
    assert {s.get_label() for s in from_table.patches} >= {"motif", "background"}
    single = plotting.angle_histogram_plot(rng.uniform(-90, 90, size=(3, 40)), bins=9, ax=new_ax())
    values, edges, _ = next(s for s in single.patches if s.get_label() == "all").get_data()
    np.testing.assert_allclose((values * np.diff(edges)).sum(), 1.0)


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: plotting.logo(np.ones((3, 10))), r"shape \(4, L\)"),
        (lambda: plotting.logo(np.ones((4, 10, 1))), "2 dimensions"),
        (lambda: plotting.logo(np.ones((4, 0))), r"shape \(4, L\)"),
        (lambda: plotting.logo(np.full((4, 3), np.nan)), "NaN"),
        (lambda: plotting.logo(np.ones((4, 3)), kind="bits"), "logo kind"),
        (lambda: plotting.logo(np.ones((4, 3)), kind="information"), "probability"),
        (lambda: plotting.logo(np.ones((4, 3)), ax="not axes"), "matplotlib Axes"),
        (lambda: plotting.logo(np.ones((4, 3)), sites=pd.DataFrame({"start": [1], "end": [5]})), "does not fit"),
        (lambda: plotting.logo(np.ones((4, 3)), sites=pd.DataFrame({"start": [1]})), "missing columns"),
        (lambda: plotting.plot_attribution(np.ones((4, 5)), X=np.eye(4)[:, [0] * 6]), "shape"),
        (lambda: plotting.plot_attribution(np.ones((4, 5)), X=np.full((4, 5), 2.0)), "one-hot|one hot"),
        (lambda: plotting.plot_filters([]), "at least one"),
        (lambda: plotting.plot_filters([np.full((4, 3), 0.25)], labels=["a", "b"]), "labels"),
        (lambda: plotting.plot_filters([np.full((4, 3), 0.25)], ncols=0), "ncols"),
        (lambda: plotting.metric_boxplot(tidy_table(), y="aupr"), "no column 'aupr'"),
        (lambda: plotting.metric_boxplot(tidy_table(), y="method"), "numeric"),
        (lambda: plotting.metric_boxplot([1, 2]), "DataFrame"),
        (lambda: plotting.metric_scatter(tidy_table(), x="auroc", y="auroc", hue="nope"), "no column 'nope'"),
        (lambda: plotting.angle_histogram_plot(np.full((2, 3), 120.0)), "degrees"),
        (lambda: plotting.angle_histogram_plot(np.zeros((2, 3)), bins=[0, 0]), "bins"),
    ],
)
def test_bad_input_raises_one_line_seqlens_error(call, message):
    with pytest.raises(SeqlensError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_shape_errors_are_data_format_errors():
    with pytest.raises(DataFormatError):
        plotting.logo(np.ones((5, 4)))


# ---------------------------------------------------------------------------------------
# Layout of the shared report figures: sizes, labels, legends
# ---------------------------------------------------------------------------------------


def drawn(fig: Figure):
    """Draw ``fig`` on an Agg canvas; return its renderer (for pixel extents of texts and legends)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def demo_like_table() -> pd.DataFrame:
    """The demo's headline table: three attribution maps x two models, 20 sequences each."""
    rng = np.random.default_rng(5)
    rows = [
        {"map": m, "model": model, "auroc": rng.uniform(0.4, 0.9)}
        for model in ("cnn_local relu", "cnn_local exponential") for m in ("saliency raw", "saliency corrected", "ism raw")
        for _ in range(20)
    ]
    return pd.DataFrame(rows)


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_metric_boxplot_is_sized_for_its_categories_with_the_legend_outside(tmp_path):
    from PIL import Image

    table = demo_like_table()
    title = "interpretability AUROC per positive test sequence (n = 20 sequences per box)"
    path = plotting.metric_boxplot(table, x="map", y="auroc", hue="model", title=title, path=tmp_path / "box.png")
    width, height = Image.open(path).size
    assert width >= 850 and height >= 450  # was 453 x 450 px with overlapping labels
    ax = plotting.metric_boxplot(table, x="map", y="auroc", hue="model", title=title)
    fig = ax.get_figure(root=True)
    assert fig.get_figwidth() * 150 == pytest.approx(width, abs=2)
    renderer = drawn(fig)
    figure_box = fig.bbox
    axes_box = ax.get_window_extent(renderer)
    legend_box = ax.get_legend().get_window_extent(renderer)
    assert legend_box.x0 >= axes_box.x1  # legend right of the data area, not over it
    assert legend_box.x1 <= figure_box.x1 + 1 and legend_box.y1 <= figure_box.y1 + 1  # and not cut off
    ticks = [t for t in ax.get_xticklabels() if t.get_text()]
    assert [t.get_text() for t in ticks] == ["saliency raw", "saliency\ncorrected", "ism raw"]  # wrapped at spaces
    boxes = [t.get_window_extent(renderer) for t in ticks]
    assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(b.x0 >= figure_box.x0 - 1 and b.x1 <= figure_box.x1 + 1 for b in boxes)
    title_box = ax.title.get_window_extent(renderer)
    assert title_box.x0 >= figure_box.x0 - 1 and title_box.x1 <= figure_box.x1 + 1  # wrapped to fit
    assert "\n" in ax.get_title()


def test_metric_boxplot_slants_labels_too_long_to_wrap():
    table = demo_like_table()
    table["map"] = table["map"].str.replace(" ", "_") + "_with_a_long_suffix"
    ax = plotting.metric_boxplot(table, x="map", y="auroc", hue="model")
    fig = ax.get_figure(root=True)
    renderer = drawn(fig)
    ticks = [t for t in ax.get_xticklabels() if t.get_text()]
    assert {t.get_rotation() for t in ticks} == {30.0}
    assert all(t.get_window_extent(renderer).x0 >= fig.bbox.x0 - 1 for t in ticks)  # constrained layout made room
    assert ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1


def test_scatter_and_histogram_legends_sit_outside_the_data():
    table = pd.DataFrame({"a": [0.1, 0.5, 0.9, 0.3], "b": [0.2, 0.4, 0.8, 0.9], "act": ["relu", "exponential"] * 2})
    scatter = plotting.metric_scatter(table, x="a", y="b", hue="act")
    hist = plotting.angle_histogram_plot(np.random.default_rng(0).normal(size=(3, 4, 30)), np.full((3, 4, 30), 0.25))
    for ax in (scatter, hist):
        renderer = drawn(ax.get_figure(root=True))
        assert ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1


def test_filter_report_plot_labels_every_filter_with_its_best_hit():
    class Report:  # the FilterReport attributes filter_report_plot reads
        motifs = [motif(), motif().reverse_complement(), np.full((4, 6), 0.25)]
        evalue, qvalue, criterion = 0.1, None, "best"
        criterion_description = "best significant hit is a ground-truth TF"

        @staticmethod
        def hit_labels():
            return ["SP1 (MA0079.3), p=1.0e-06 *", "Gmeb1 (MA0615.1), p=2.0e-05", "no match"]

    fig = plotting.filter_report_plot(Report(), ncols=3, title="run: filters")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert [t.split("\n")[1] for t in titles] == Report.hit_labels()
    assert "E <= 0.1" in fig._suptitle.get_text() and "* = counted as a ground-truth TF" in fig._suptitle.get_text()
    assert len(plotting.filter_report_plot(Report(), limit=2).axes) == 2
