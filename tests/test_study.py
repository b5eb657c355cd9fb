"""gansampler study: runs, resumes, reports, and runs alike everywhere.

A small .npz (48 digit images) keeps each CNNClassifier fit (defaults) to
seconds.
"""

import csv

import numpy as np
import pytest

from gansampler.cli import main
from gansampler.study import parse_method, run_study, summarize


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
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
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
