"""gansampler study: runs, resumes, reports, and runs alike everywhere.

A small .npz (48 digit images) and a 50-step budget (STUDY_BUDGET) keep each
CNNClassifier fit under a second.
"""

import csv
import re

import numpy as np
import pytest

from gansampler._training import Budget
from gansampler.cli import build_parser, main
from gansampler.neural_network import _train
from gansampler.study import FIELDS, parse_method, run_study, summarize

# The study's classifiers train n_epochs="auto" with a floor of 50 steps
# rather than 500. These tests are about files, resuming, reports, names and
# the same scores on every scheduler, not about how well a run learns (no
# test here scores one); at 500 steps the study's default fits took about
# 45 s of the suite. CNNClassifier's default budget is tested in
# test_common.py and test_budgets.py.
STUDY_BUDGET = Budget(min_epochs=1, min_steps=50)


@pytest.fixture(autouse=True)
def study_budget(monkeypatch):
    monkeypatch.setattr(_train, "BUDGET", STUDY_BUDGET)


@pytest.fixture(scope="module")
def small(digits_uint8):
    X, y = digits_uint8
    keep = np.r_[np.flatnonzero(y == 0)[:36], np.flatnonzero(y == 1)[:12]]
    return X[keep], y[keep]


@pytest.fixture
def npz(tmp_path, small):
    X, y = small
    path = tmp_path / "small.npz"
    np.savez(path, train_images=X, train_labels=y[:, None])
    return path


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_study_writes_resumes_and_reports(tmp_path, npz, capsys):
    out = tmp_path / "out"
    args = ["study", "--data", str(npz), "--seeds", "0", "--output", str(out)]
    assert main(args + ["--methods", "none"]) == 0
    assert len(_rows(out / "results.csv")) == 1
    # Restarted with one more method: the finished run is not run again.
    assert main(args + ["--methods", "none", "class_weight"]) == 0
    printed = capsys.readouterr().out
    assert "1 runs to go, 1 done before" in printed
    rows = _rows(out / "results.csv")
    assert [r["method"] for r in rows] == ["none", "class_weight"]
    report = (out / "results.md").read_text()
    assert "| class_weight |" in report and "Best by balanced_accuracy" in report
    assert (out / "results.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(out.glob(".*partial"))
    # Asked for one of the two: the report covers it alone, the file both.
    assert main(args + ["--methods", "class_weight"]) == 0
    assert "0 runs to go, 1 done before" in capsys.readouterr().out
    assert "| none |" not in (out / "results.md").read_text()
    assert len(_rows(out / "results.csv")) == 2


def test_serial_and_dask_give_identical_scores(small):
    X, y = small
    methods, seeds = ["none"], [0]
    serial = run_study(X, y, methods, seeds, log=lambda _: None)
    key = lambda r: (r["method"], r["seed"], r["fold"])  # noqa: E731
    distributed = pytest.importorskip("distributed")

    def study_budget_in_the_worker():
        # The worker processes import gansampler afresh: the same budget as
        # the serial run's (STUDY_BUDGET).
        from gansampler._training import Budget
        from gansampler.neural_network import _train

        _train.BUDGET = Budget(min_epochs=1, min_steps=50)

    # One worker process: the study is one run.
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(study_budget_in_the_worker)
        on_dask = run_study(
            X,
            y,
            methods,
            seeds,
            scheduler=cluster.scheduler_address,
            log=lambda _: None,
        )
    for a, b in zip(sorted(serial, key=key), sorted(on_dask, key=key), strict=True):
        assert a["balanced_accuracy"] == b["balanced_accuracy"]
        assert a["roc_auc"] == b["roc_auc"]


def test_default_methods_leave_threshold_to_two_classes(small, monkeypatch):
    # The defaults include threshold tuning (the recipe's choice at about 25
    # minority images), which tunes a binary cut: three classes leave it out.
    import gansampler.study as study

    X, y = small
    three = np.where(np.arange(len(y)) % 4 == 0, 2, y)
    assert study.default_methods(y) == list(study.DEFAULT_METHODS)
    assert "threshold" in study.DEFAULT_METHODS
    assert "threshold" not in study.default_methods(three)
    # run_study's default is that list (shortened here: one fit, not 14).
    monkeypatch.setattr(study, "DEFAULT_METHODS", ("none", "threshold"))
    rows = run_study(X, three, seeds=[0], log=lambda _: None)
    assert [r["method"] for r in rows] == ["none"]


def test_cross_validation_and_method_names(small):
    X, y = small
    rows = run_study(X, y, ["none"], [0], cv=2, log=lambda _: None)
    assert sorted(int(r["fold"]) for r in rows) == [0, 1]
    table, verdict = summarize(rows)
    assert "| none |" in table and verdict.startswith("Best by balanced_accuracy: none")
    assert parse_method("featuresmote@0.25+filter0.9+cw") == {
        "base": "featuresmote",
        "strategy": 0.25,
        "filter": 0.9,
        "class_weight": "balanced",
    }
    with pytest.raises(ValueError, match="unknown method 'gan'"):
        run_study(X, y, ["gan"], [0])
    # Options that would be ignored, and numbers out of range, are refused
    # before any run starts.
    for method, message in [
        ("none+weighted0.5", "'none' makes no new images"),
        ("class_weight@0.5", "'class_weight' makes no new images"),
        ("ros@", r"@ takes a float in the range \(0.0, 1.0\]; got ''"),
        ("dcgan+filter1.5", r"\+filter takes a float in the range \(0.0, 1.0\)"),
        (
            "superpixel+weighted-1",
            r"\+weighted takes a float in the range \[0.0, 1.0\]",
        ),
        ("superpixel+weighted0.5+cw", "drop \\+cw"),
    ]:
        with pytest.raises(ValueError, match=message):
            run_study(X, y, [method], [0])
    with pytest.raises(ValueError, match=r"methods names \['none'\] more than once"):
        run_study(X, y, ["none", "none"], [0])
    with pytest.raises(ValueError, match=r"seeds names \[0\] more than once"):
        run_study(X, y, ["none"], [0, 0])
    with pytest.raises(ValueError, match="cv=0 is not a number of folds"):
        run_study(X, y, ["none"], [0], cv=0)


# The class of each method's sampler, and the command line's samplers, as
# they were before one registry held them.
SAMPLER_CLASSES = {
    "ros": "RandomOverSampler",
    "ros_augment": "RandomOverSampler",
    "smote": "SMOTE",
    "superpixel": "SuperpixelSampler",
    "superpixel_geometric": "SuperpixelSampler",
    "superpixel_superpixel": "SuperpixelSampler",
    "superpixel_both": "SuperpixelSampler",
    "dcgan": "DCGANSampler",
    "infogan": "InfoGANSampler",
    "featuregan": "FeatureGANSampler",
    "featuresmote": "FeatureSMOTESampler",
    "m2m": "M2mSampler",
    "variance_transfer": "VarianceTransferSampler",
}
COMMAND_SAMPLERS = [
    "dcgan",
    "featuregan",
    "featuresmote",
    "infogan",
    "m2m",
    "ros",
    "superpixel",
    "superpixel_geometric",
    "superpixel_superpixel",
    "variance_transfer",
]


def _sampler_choices():
    """What ``gansampler resample --sampler`` takes."""
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    options = commands.choices["resample"]._actions
    return next(a.choices for a in options if a.dest == "sampler")


def test_one_registry_names_every_method_and_sampler(small, monkeypatch):
    from gansampler import SuperpixelSampler, study
    from gansampler._registry import METHODS, Method

    assert study.BASES == tuple(METHODS)
    command = sorted(name for name, method in METHODS.items() if method.command)
    assert _sampler_choices() == command == COMMAND_SAMPLERS
    built = {
        name: method.build(3, 0.5, min_count=4, gan_params={"n_epochs": 2})
        for name, method in METHODS.items()
    }
    classes = {n: type(s).__name__ for n, s in built.items() if s is not None}
    assert classes == SAMPLER_CLASSES
    for name, sampler in built.items():
        method = METHODS[name]
        if sampler is None:
            assert method.sampler is None and study.make_sampler(name, 3, 4) is None
            continue
        # Each sampler is the class, and has the settings, that its entry says.
        params = sampler.get_params()
        assert type(sampler) is method.sampler
        assert params["random_state"] == 3 and params["sampling_strategy"] == 0.5
        assert method.params.items() <= params.items()
        assert ("filter_threshold" not in params) == method.flat_rows
        assert (params.get("k_neighbors") == 3) == method.neighbours
        assert (params.get("n_epochs") == 2) == method.gan
    # A new method is one entry: the study parses and checks its name, and
    # the command line offers it.
    mirror = Method("mirror", SuperpixelSampler, {"mode": "geometric"}, command=True)
    monkeypatch.setitem(METHODS, "mirror", mirror)
    monkeypatch.setitem(METHODS, "cut", Method("cut", tunes_threshold=True))
    assert "mirror" in _sampler_choices()
    assert study.make_sampler("mirror@0.5+filter0.9", 0, 9).filter_threshold == 0.9
    with pytest.raises(ValueError, match="'cut' makes no new images"):
        parse_method("cut+weighted0.5")
    X, y = small
    with pytest.raises(ValueError, match="method 'cut' tunes a binary"):
        run_study(X, np.arange(len(y)) % 3, ["none", "cut"], [0])


def test_resume_refuses_other_data_and_drops_a_cut_line(tmp_path, small):
    X, y = small
    results = tmp_path / "results.csv"
    run_study(X, y, ["none"], [0], results, log=lambda _: None)
    with open(results, "a") as f:
        f.write("class_weight,0,0,0.9")  # a run cut off mid-line
    logged = []
    run_study(X, y, ["none"], [0], results, log=logged.append)
    assert logged[0] == "0 runs to go, 1 done before"
    assert results.read_text().endswith("\n")
    with pytest.raises(ValueError, match="other data or settings"):
        run_study(X[::-1], y[::-1], ["none"], [0], results)
    # Killed before the header was whole: the next run writes a header.
    cut = tmp_path / "cut" / "results.csv"
    cut.parent.mkdir()
    cut.write_text("method,seed,fo")
    run_study(X, y, ["none"], [0], cut, log=lambda _: None)
    assert [r["method"] for r in _rows(cut)] == ["none"]
    (tmp_path / "cut" / "study.json").unlink()
    cut.write_text("name,value\nx,1\n")
    with pytest.raises(ValueError, match="not a results file of this study"):
        run_study(X, y, ["none"], [0], cut)
    with pytest.raises(ValueError, match="'threshold' tunes a binary"):
        run_study(X, np.arange(len(y)) % 3, ["threshold"], [0])


def test_smote_interpolates_sixteen_bit_images_without_wrapping():
    # A 16-bit folder gives uint16 images; SMOTE's differences between
    # neighbours must not wrap around (100 - 4000 in uint16 is 61636).
    from imblearn.over_sampling import SMOTE

    from gansampler.study import imblearn_resample

    X = np.array([100, 110, 4000, 10, 20, 30, 40, 50], np.uint16)
    X = np.repeat(X, 4).reshape(8, 2, 2)
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    X_res, y_res = imblearn_resample(SMOTE(k_neighbors=2, random_state=0), X, y)
    assert X_res.dtype == np.uint16 and np.bincount(y_res).tolist() == [5, 5]
    assert 100 <= X_res[8:].min() and X_res[8:].max() <= 4000


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seeds", "-1"], "--seeds -1 is not a seed; seeds are integers from 0"),
        (["--seeds", "0", "4294967296"], "--seeds 4294967296 is not a seed"),
        (["--cv", "1"], "--cv 1 is not a number of folds; use an integer of at"),
        (["--test-size", "1.5"], "--test-size 1.5 is not a share of the images"),
        (["--n-jobs", "0"], "--n-jobs 0 is not a number of runs side by side"),
        (["--seeds", "0", "0"], r"seeds names \[0\] more than once"),
        (["--methods", "gan"], "unknown method 'gan'"),
        (["--methods", "threshold+threshold"], r"drop \+threshold"),
        (["--test-size", "0.01"], "test_size=0.01 cannot split these labels"),
        (["--cv", "50"], "cv=50 cannot split these labels"),
    ],
    ids=[
        "seed",
        "big-seed",
        "cv",
        "test-size",
        "n-jobs",
        "twice",
        "method",
        "threshold-twice",
        "few",
        "folds",
    ],
)
def test_every_option_is_checked_before_anything_is_written(
    tmp_path, npz, capsys, args, message
):
    out = tmp_path / "out"
    assert main(["study", "--data", str(npz), "--output", str(out)] + args) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not out.exists()


def test_an_output_that_is_a_file_is_named(tmp_path, npz, capsys, small):
    (tmp_path / "a_file.txt").write_text("notes")
    for output in ("a_file.txt", "a_file.txt/study"):
        path = tmp_path / output
        assert main(["study", "--data", str(npz), "--output", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"--output {path}: {tmp_path / 'a_file.txt'} is a file" in err
    assert (tmp_path / "a_file.txt").read_text() == "notes"
    X, y = small
    with pytest.raises(ValueError, match="results=.*a_file.txt is a file"):
        run_study(X, y, ["none"], [0], tmp_path / "a_file.txt" / "results.csv")
    with pytest.raises(ValueError, match="seeds=-1 is not a seed"):
        run_study(X, y, ["none"], [0, -1], tmp_path / "s" / "results.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.txt", "small.npz"]


def test_a_results_file_that_does_not_parse_names_the_file_and_line(tmp_path, small):
    X, y = small
    results = tmp_path / "results.csv"
    header = ",".join(FIELDS) + "\n"
    good = "none,0,0,0.5,0.5,0.5,0.1,1.0\n"
    cases = [
        (b"\x89PNG\r\n\x1a\n\x00\x00", r"results\.csv is not a results file.*not text"),
        (header + good + "none,1,0,0.5,abc,0.5,0.1,1.0\n", r"results\.csv, line 3,"),
        (header + "class_weight,x,0,0.5,0.5,0.5,0.1,1.0\n", r"results\.csv, line 2,"),
        (header + "none,1,0,0.5\n", r"results\.csv, line 2, is not a finished run"),
    ]
    for content, message in cases:
        data = content if isinstance(content, bytes) else content.encode()
        results.write_bytes(data)
        with pytest.raises(ValueError, match=message):
            run_study(X, y, ["none", "class_weight"], [0, 1], results)
        # Nothing run, counted or written: the file as it was, no study.json.
        assert results.read_bytes() == data
        assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


# The classifier's settings that each method of the losses and of deferred
# re-balancing stands for (CNNClassifier's loss and rebalance).
CLASSIFIER_METHODS = {
    "focal": {"loss": "focal"},
    "logit_adjusted": {"loss": "logit_adjusted"},
    "ldam": {"loss": "ldam"},
    "drw": {"rebalance": "reweight"},
    "drs": {"rebalance": "resample"},
    "crt": {"rebalance": "retrain_head"},
    "ldam_drw": {"loss": "ldam", "rebalance": "reweight"},
    "focal+cw": {"loss": "focal", "class_weight": "balanced"},
    # LDAM with class weights from the start (the paper's LDAM-RW); with DRW
    # on top the weights would correct twice, and the name is refused.
    "ldam+cw": {"loss": "ldam", "class_weight": "balanced"},
}


def test_one_loss_suffix_names_the_two_given():
    # Issue 33: the second suffix was called unknown.
    message = r"only one loss suffix is allowed; got \+logit_adjusted and \+ldam"
    with pytest.raises(ValueError, match=message):
        parse_method("superpixel+logit_adjusted+ldam")
    with pytest.raises(ValueError, match=r"got \+ldam and \+drw.*ldam_drw is"):
        parse_method("m2m+ldam+drw")


@pytest.mark.parametrize(
    "method, named",
    [
        ("logit_adjusted+cw", "loss='logit_adjusted' and class_weight='balanced'"),
        ("drw+cw", "class_weight='balanced' and rebalance='reweight'"),
        ("superpixel+weighted0.25+drs", r"\+weighted .* and rebalance='resample'"),
        ("m2m+logit_adjusted+cw", "loss='logit_adjusted' and class_weight='balanced'"),
    ],
)
def test_corrections_of_the_prior_that_stack_are_refused(method, named):
    # Issue 33: the study accepted logit_adjusted+cw, which corrects twice.
    with pytest.raises(ValueError, match=f"{named} each correct for the class"):
        parse_method(method)
    # Those that do not stack stay: the paper's pairings and threshold tuning.
    for fine in ("ldam_drw", "focal+cw", "threshold+cw", "crt", "m2m+ldam_drw"):
        parse_method(fine)


def test_an_option_given_twice_is_refused():
    with pytest.raises(ValueError, match=r"\+cw is given twice"):
        parse_method("superpixel+cw+cw")


def test_sampler_settings_are_checked_before_any_run():
    # bench_study.py --sampler-param: issue 33 found random_state accepted,
    # and then one sampler seed for every seed, and sampling_strategy
    # silently overriding the method's @strategy. Each names what sets it.
    from gansampler._methods import with_sampler_params
    from gansampler._registry import METHODS

    for setting, where in [
        ({"random_state": 7}, "random_state=7: random_state is set by each run's "),
        ({"random_state": 7}, "choose the seeds with --seeds"),
        ({"sampling_strategy": 0.5}, "@strategy suffix, such as superpixel@0.5"),
        ({"filter_threshold": 0.9}, r"\+filter suffix, such as superpixel\+filter"),
        ({"mode": "nope"}, r"mode='nope': The 'mode' parameter of Superpixel"),
        ({"transfer_scale": 0.5}, "SuperpixelSampler .* no parameter 'transfer_scale'"),
    ]:
        with pytest.raises(ValueError, match=where):
            with_sampler_params(["superpixel@0.8"], setting)
    with pytest.raises(ValueError, match="method 'none' makes no new images"):
        with_sampler_params(["variance_transfer", "none"], {"transfer_scale": 0.5})
    entries = with_sampler_params(["variance_transfer@0.8+cw"], {"transfer_scale": 2})
    assert METHODS["variance_transfer"].params == {}  # the registry is as it was
    sampler = entries["variance_transfer"].build(3, 0.8)
    assert (sampler.random_state, sampler.sampling_strategy) == (3, 0.8)
    assert sampler.transfer_scale == 2
    # A sampler that draws between neighbours keeps a k_neighbors it is
    # given, lowered to fit the smallest class as its default is.
    smote = with_sampler_params(["featuresmote"], {"k_neighbors": 3})["featuresmote"]
    assert [smote.build(0, min_count=c).k_neighbors for c in (10, 3)] == [3, 2]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_each_loss_and_rebalancing_is_a_method(small):
    from gansampler.study import fit_method

    X, y = small
    for method, settings in CLASSIFIER_METHODS.items():
        model, resample_s, _, n = fit_method(method, 0, X, y, {"n_epochs": 2})
        params = model.get_params()
        expected = {"loss": "cross_entropy", "rebalance": None, "class_weight": None}
        assert {k: params[k] for k in expected} == {**expected, **settings}, method
        assert (resample_s, n) == (0.0, len(y))
    # They make no new images: a strategy or a share would be ignored.
    with pytest.raises(ValueError, match="'focal' makes no new images"):
        parse_method("focal@0.5")


def test_threshold_is_a_suffix_of_any_method(small):
    from gansampler._registry import METHODS
    from gansampler.study import fit_method

    assert parse_method("smote@0.5+cw+threshold") == {
        "base": "smote",
        "strategy": 0.5,
        "class_weight": "balanced",
        "threshold": True,
    }
    for base in METHODS.keys() - {"threshold"}:
        assert parse_method(base + "+threshold")["threshold"] is True
    with pytest.raises(ValueError, match="'threshold' tunes the decision threshold"):
        parse_method("threshold+threshold")
    # A binary cut: three classes are refused before any run, and by
    # fit_method, which the benchmarks call.
    X, y = small
    three = np.where(np.arange(len(y)) % 4 == 0, 2, y)
    message = r"method 'smote\+threshold' tunes a binary decision threshold; the "
    with pytest.raises(ValueError, match=message + "data has 3 classes"):
        run_study(X, three, ["none", "smote+threshold"], [0])
    with pytest.raises(ValueError, match=message):
        fit_method("smote+threshold", 0, X, three)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_threshold_refits_the_sampler_in_each_fold(small, monkeypatch):
    from sklearn.model_selection import TunedThresholdClassifierCV

    from gansampler._registry import Method
    from gansampler.neural_network import CNNClassifier
    from gansampler.study import fit_method, score

    X, y = small
    short = {"n_epochs": 2}
    # threshold as it was built before +threshold, and none+threshold: the
    # same model, fitted alike.
    direct = TunedThresholdClassifierCV(
        CNNClassifier(random_state=0, **short), scoring="balanced_accuracy"
    ).fit(X, y)
    for method in ("threshold", "none+threshold"):
        model = fit_method(method, 0, X, y, short)[0]
        assert model.best_threshold_ == direct.best_threshold_
        np.testing.assert_array_equal(model.predict_proba(X), direct.predict_proba(X))
    focal = fit_method("focal+threshold", 0, X, y, short)[0]
    assert focal.get_params()["estimator__loss"] == "focal"
    # The sampler sits inside the cross-validation: each of the five folds
    # resamples its training images alone (the folds leave out each image
    # once), and the refit all of them. The images left out score the cut
    # unresampled: imbalanced-learn's Pipeline resamples in fit only.
    sizes = []
    resample = Method.resample

    def spy(self, sampler, X, y):
        sizes.append(len(y))
        return resample(self, sampler, X, y)

    monkeypatch.setattr(Method, "resample", spy)
    model, resample_s, _, n = fit_method("smote+threshold", 0, X, y, short)
    assert len(sizes) == 6 and sizes.count(len(y)) == 1
    assert sum(len(y) - s for s in sizes) == len(y)
    assert (resample_s, n, model.scoring) == (0.0, len(y), "balanced_accuracy")
    assert [name for name, _ in model.estimator_.steps] == ["sampler", "classifier"]
    assert set(score(model, X, y)) == {"balanced_accuracy", "roc_auc", "macro_f1"}
