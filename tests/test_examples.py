"""The examples run, every public name is in the API reference, and the
user guide's recipe grid builds.

Each example runs in this process with every training budget cut to one
epoch (the "fast mode"): the examples use the defaults, whose budgets are
minutes of training, and these tests check that the code runs and shows
what it says, not how well it trains (the benchmarks measure that).
"""

import re
import runpy
import sys
import textwrap
from pathlib import Path

import matplotlib
import pytest

import gansampler
from gansampler import compose, datasets, inspection, metrics, plotting, study
from gansampler._training import Budget
from gansampler.neural_network import _train
from gansampler.over_sampling import _feature_gan
from gansampler.over_sampling._features import space as feature_space
from gansampler.over_sampling._gan import generator

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# What each example must print: the line that carries its result.
PRINTS = {
    "quickstart.py": (
        r"\| logit-adjusted loss \| \d\.\d{3} \| \d\.\d{3} \|(.|\n)*"
        r"\| superpixels, 1/4 share \| \d\.\d{3} \| \d\.\d{3} \|(.|\n)*"
        r"Regime: 10 rare images against 811 common ones(.|\n)*Best balanced accuracy: "
    ),
    "plot_gan_samples.py": r"DCGANSampler +\d+\.\d\d",
    "plot_grid_search.py": r"best: .+, held-out balanced accuracy \d\.\d{3}",
    "plot_study_on_a_folder.py": r"\| featuresmote \|",
    "plot_superpixel_samples.py": None,
    "plot_transfer_gradcam.py": r"ResNet-18 from scratch(.|\n)*test ROC AUC \d\.\d{3}",
}


@pytest.fixture
def fast_mode(monkeypatch):
    one_epoch = Budget(min_epochs=1, min_steps=1)
    monkeypatch.setattr(_train, "BUDGET", one_epoch)
    monkeypatch.setattr(generator, "GAN_BUDGET", one_epoch)
    monkeypatch.setattr(_feature_gan, "FEATURE_GAN_BUDGET", one_epoch)
    monkeypatch.setattr(feature_space, "ENCODER_BUDGET", one_epoch)
    monkeypatch.setattr(feature_space, "CLASSIFIER_STEPS", 5)


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES) == sorted(PRINTS)


@pytest.mark.filterwarnings("ignore")  # one epoch: convergence warnings
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path, fast_mode, pneumonia_folder, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    # No weights file: the transfer example says it trains from scratch.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("RESNET18_WEIGHTS", raising=False)
    monkeypatch.setattr(sys, "argv", [str(path)])
    plt.close("all")
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    if PRINTS[path.name]:
        assert re.search(PRINTS[path.name], out), out
    if path.name.startswith("plot_"):
        # The gallery shows the figures the example leaves open.
        assert plt.get_fignums(), "the example drew no figure"
    plt.close("all")


@pytest.fixture
def pneumonia_folder(request, monkeypatch):
    """GANSAMPLER_DATA for the example that reads PneumoniaMNIST."""
    if "superpixel" in request.node.name or "gradcam" in request.node.name:
        path = request.getfixturevalue("pneumonia_path")
        monkeypatch.setenv("GANSAMPLER_DATA", str(path.parent))


def test_every_public_name_is_in_the_api_reference():
    api = (ROOT / "docs" / "api.rst").read_text()
    listed = set(re.findall(r"^   (\S+)$", api, flags=re.MULTILINE))
    modules = {
        "": gansampler,
        "compose.": compose,
        "datasets.": datasets,
        "inspection.": inspection,
        "metrics.": metrics,
        "plotting.": plotting,
        "study.": study,
    }
    # A name may be listed once, under another module that exports the same
    # object (ResampledClassifier, base.BaseImageSampler).
    short = {entry.rsplit(".", 1)[-1] for entry in listed}
    missing = [
        prefix + name
        for prefix, module in modules.items()
        for name in module.__all__
        if not name.startswith("_")
        and prefix + name not in listed
        and not (name in short and getattr(gansampler, name, None) is not None)
    ]
    assert not missing, f"not in docs/api.rst: {missing}"


def test_the_recipe_grid_builds():
    # The user guide's ready param_grid: run its code block (nothing is
    # fitted), then set every candidate on a clone, as GridSearchCV does.
    from sklearn.base import clone
    from sklearn.model_selection import ParameterGrid

    from gansampler import CNNClassifier
    from gansampler.neural_network._losses import prior_corrections

    guide = (ROOT / "docs" / "user_guide.rst").read_text()
    section = guide.split(".. _recipe:", 1)[1]
    marker = "every image layout; imbalanced-learn's need flat rows)::\n\n"
    # The literal block: the indented lines (and blank ones) after the marker.
    block = re.match(r"(?:    .*\n|\n)+", section.split(marker, 1)[1]).group()
    namespace = {}
    exec(textwrap.dedent(block), namespace)
    grid = ParameterGrid(namespace["param_grid"])
    # 3 weighted shares, variance transfer at a weighted share, the
    # logit-adjusted loss, LDAM with and without DRW, threshold tuning, 3
    # samplers.
    assert len(grid) == 11
    for params in grid:
        pipe = clone(namespace["pipe"]).set_params(**params)
        # No candidate corrects for the class prior twice (issue 33).
        model = pipe.named_steps["model"]
        if isinstance(model, CNNClassifier):
            found = prior_corrections(model.loss, model.class_weight, model.rebalance)
            assert len(found) <= 1, params
    assert namespace["search"].estimator is namespace["pipe"]
