"""Study files and the grid of units: validation messages, bundled studies, keys, shards."""

from __future__ import annotations

import copy

import pytest

from seqlens.errors import StudyError
from seqlens.experiments import bundled_studies, describe_studies, expand_units, load_study, parse_shard, parse_study
from seqlens.experiments.units import grid_size, shard

BASE = {
    "name": "tiny",
    "data": {"simulate": "regulatory-code", "n": 400, "seed": 0},
    "models": {"architectures": ["cnn_local"], "activations": ["relu", "exponential"], "seeds": [0, 1], "epochs": 1},
    "attribution": {"methods": ["saliency"], "limit": 10},
    "evaluation": ["classification", "interpretability"],
}


def study_with(**changes):
    document = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = document
        *parents, last = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return document


def error_of(document) -> str:
    with pytest.raises(StudyError) as err:
        parse_study(document, "s.yaml")
    message = str(err.value)
    assert "\n" not in message and message.startswith("s.yaml: ")
    return message


@pytest.mark.parametrize(("changes", "expected"), [
    ({"modles": {}}, "unknown key 'modles'; did you mean 'models'?"),
    ({"models__activatons": ["relu"]}, "unknown key 'models.activatons'; did you mean 'activations'?"),
    ({"attribution__limt": 3}, "unknown key 'attribution.limt'; did you mean 'limit'?"),
    ({"data__nn": 5}, "the regulatory-code generator has no option 'nn'; did you mean 'n'?"),
    ({"models__architectures": ["cnn_locl"]}, "unknown architecture 'cnn_locl'; did you mean 'cnn_local'"),
    ({"models__activations": ["exponentail"]}, "unknown activation 'exponentail'; did you mean 'exponential'?"),
    ({"models__training": [{"noise": {"sigmaa": 1}}]}, "training method 'noise' has no parameter(s) sigmaa"),
    ({"models__epochs": 0}, "epochs must be an integer >= 1, got 0"),
    ({"models__seeds": [0, 0]}, "0 is listed twice"),
    ({"attribution__methods": ["salincy"]}, "unknown attribution method 'salincy'"),
    ({"evaluation": ["classification", "angels"]}, "evaluation.1"),
    ({"reproduces": ["007"]}, "unknown paper '007'"),
])
def test_bad_study_files_say_which_key_and_suggest_the_fix(changes, expected):
    assert expected in error_of(study_with(**changes))


def test_missing_sections_and_needed_attribution_are_named():
    document = study_with()
    del document["models"]
    assert "missing key 'models'" in error_of(document)
    document = study_with()
    del document["attribution"]
    assert "evaluation 'interpretability' needs an 'attribution' section" in error_of(document)


def test_training_methods_are_canonical_and_labelled_by_their_given_parameters():
    study = parse_study(study_with(models__training=["standard", "angle_reg", {"noise": {"sigma": 0.2}}]))
    assert [t.method for t in study.models.training] == ["standard", "angle-reg", "noise"]
    assert [t.label for t in study.models.training] == ["standard", "angle-reg", "noise(sigma=0.2)"]


def test_yaml_errors_missing_files_and_unknown_names(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmodels: [unclosed\n")
    with pytest.raises(StudyError, match=r"bad.yaml: not valid YAML at line \d+"):
        load_study(bad)
    with pytest.raises(FileNotFoundError, match="study file not found"):
        load_study(tmp_path / "absent.yaml")
    with pytest.raises(StudyError, match="unknown study 'exp-activation'; did you mean 'exp-activations'"):
        load_study("exp-activation")
    with pytest.raises(StudyError, match="has no scale 'huge'; it has quick, paper"):
        load_study("exp-activations", "huge")
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\ndata: {simulate: multitask}\nmodels: {architectures: [cnn_2]}\n")
    assert load_study(plain).scale is None
    with pytest.raises(StudyError, match="defines no scales"):
        load_study(plain, "quick")


def test_every_bundled_study_loads_at_both_scales_and_the_quick_scale_is_small():
    names = set(bundled_studies())
    assert {"exp-activations", "exp-activations-multitask", "robust-training", "gradient-correction", "hybrids"} <= names
    for entry in describe_studies():
        quick, paper = entry["scales"]["quick"], entry["scales"]["paper"]
        # minutes on 2 cores: at most 8 units of 20 epochs; the grammar of `gia` needs 10,000 sequences (4.5 min),
        # real datasets have the size they have (Oct4/Mafk: 7,997)
        assert quick["units"] <= 8 and quick["sequences"] <= (10000 if entry["name"] == "gia" else 8000), entry["name"]
        assert quick["epochs"] <= 20, entry["name"]
        assert paper["seeds"] >= 5 and paper["epochs"] == 100, entry["name"]
        assert entry["citation"] and entry["question"]
    paper = load_study("exp-activations", "paper")
    assert paper.data.options == {"n": 20000} and paper.attribution.limit == 500
    assert paper.models.activations == ["relu", "exponential", "tanh"] and len(paper.models.seeds) == 10
    assert grid_size(paper) == 60
    quick = load_study("exp-activations")  # quick is the default scale
    assert quick.scale == "quick" and grid_size(quick) == 8


def test_unit_keys_follow_the_computed_settings_only():
    study = parse_study(study_with())
    units = expand_units(study, "abc")
    assert [u.name for u in units] == ["cnn_local-relu-standard-seed0", "cnn_local-relu-standard-seed1",
                                       "cnn_local-exponential-standard-seed0", "cnn_local-exponential-standard-seed1"]
    assert units[0].coordinates == {"architecture": "cnn_local", "config": "default", "activation": "relu",
                                    "training": "standard", "train_size": "all", "seed": 0}
    assert len({u.key for u in units}) == 4
    assert [u.key for u in expand_units(parse_study(study_with()), "abc")] == [u.key for u in units]
    described = parse_study(study_with(title="other words", question="why?"))
    assert [u.key for u in expand_units(described, "abc")] == [u.key for u in units]
    longer = expand_units(parse_study(study_with(models__epochs=2)), "abc")
    assert not {u.key for u in longer} & {u.key for u in units}
    other_data = expand_units(study, "abd")
    assert not {u.key for u in other_data} & {u.key for u in units}


def test_configs_and_train_sizes_name_units_and_reach_the_model_settings():
    study = parse_study(study_with(models__configs={"reg": {}, "noreg": {"regularized": False}},
                                   models__train_sizes=[None, 100], models__seeds=[3]))
    units = expand_units(study, "x")
    assert len(units) == 2 * 2 * 2
    noreg_small = [u for u in units if u.coordinates["config"] == "noreg" and u.coordinates["train_size"] == 100]
    assert [u.name for u in noreg_small] == ["cnn_local-noreg-relu-standard-train100-seed3",
                                             "cnn_local-noreg-exponential-standard-train100-seed3"]
    assert noreg_small[0].settings["model"] == {"name": "cnn_local", "activation": "relu", "regularized": False}
    assert noreg_small[0].settings["train_size"] == 100


def test_shards_partition_the_grid():
    units = expand_units(parse_study(study_with(models__seeds=[0, 1, 2, 3, 4])), "x")
    parts = [shard(units, k, 3) for k in (1, 2, 3)]
    assert sorted(u.name for part in parts for u in part) == sorted(u.name for u in units)
    assert [u.name for u in parts[1]] == [units[1].name, units[4].name, units[7].name]
    assert parse_shard("2/3") == (2, 3)
    for text in ("2", "a/b", "0/3", "4/3"):
        with pytest.raises(StudyError, match="--shard"):
            parse_shard(text)


def test_bundled_claims_name_methods_the_study_computes_at_every_scale():
    """A claim's ``where: method`` matches results rows, which carry canonical method names."""
    from seqlens.attribution import canonical_methods

    for name in bundled_studies():
        for scale in ("quick", "paper"):
            study = load_study(name, scale)
            for claim in study.claims:
                method = claim.where.get("method")
                if method is None or claim.where.get("analysis") not in ("interpretability", "angles"):
                    continue
                assert canonical_methods([method]) == [method], (name, claim.id)  # canonical, not an alias
                assert method in study.attribution.methods, (name, scale, claim.id)


def test_paper_002_studies_use_its_integrated_gradients():
    """002 averages integrated gradients over 10 shuffled references: not the one-baseline ``ig``."""
    for scale in ("quick", "paper"):
        study = load_study("exp-activations", scale)
        assert "integrated_gradients_10_shuffled" in study.attribution.methods
        named = {c.where["method"] for c in study.claims if "integrated" in c.text}
        assert named == {"integrated_gradients_10_shuffled"}
    paper = load_study("exp-activations", "paper")
    assert paper.attribution.methods == ["saliency", "integrated_gradients_10_shuffled", "deepshap", "ism"]
    for name in bundled_studies():
        study = load_study(name, "paper")
        if "002" in study.reproduces and study.attribution is not None:
            assert "integrated_gradients" not in study.attribution.methods, name


def test_paper_003_study_uses_the_gradient_correction_cnn_deep():
    """003's angle statistics (29.5 / 12.3 / 3.7% above 30 / 45 / 60 degrees) are cnn_deep_gc's, not cnn_dist's."""
    from seqlens.models import available

    assert "cnn_deep_gc" in available()
    quick, paper = load_study("gradient-correction", "quick"), load_study("gradient-correction", "paper")
    assert paper.models.architectures == ["cnn_local", "cnn_deep_gc"] and quick.models.architectures == ["cnn_deep_gc"]
    assert "cnn_dist" not in paper.models.architectures
    angles = [c for c in paper.claims if c.where.get("analysis") == "angles"]
    assert angles and all("cnn_deep_gc" in c.paper and "29.5%" in c.paper for c in angles)
    assert grid_size(quick) <= 8 and quick.models.epochs <= 15 and quick.data.options == {"n": 6000}
    assert quick.attribution.params == {"expected_gradients": {"n_references": 10}}  # 003's 10 references
