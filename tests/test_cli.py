"""The command line: gansampler resample."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gansampler.cli import main
from gansampler.datasets import load_image_folder, load_medmnist, save_image_folder

RNG = np.random.RandomState(0)
X = RNG.randint(0, 256, size=(30, 8, 8)).astype(np.uint8)
Y = np.r_[np.zeros(22, int), np.ones(8, int)]


def _npz(path):
    np.savez(
        path,
        train_images=X,
        train_labels=Y[:, None],
        test_images=X[:5],
        test_labels=Y[:5, None],
    )
    return path


def test_resample_npz_keeps_form_and_other_splits(tmp_path, capsys):
    source = _npz(tmp_path / "in.npz")
    assert (
        main(
            [
                "resample",
                "--sampler",
                "superpixel",
                "--input",
                str(source),
                "--output",
                str(tmp_path / "out.npz"),
            ]
        )
        == 0
    )
    X_res, y_res = load_medmnist("out.npz", path=tmp_path)
    np.testing.assert_array_equal(X_res[:30], X)
    assert np.bincount(y_res).tolist() == [22, 22]
    with np.load(tmp_path / "out.npz") as data:
        assert data["train_labels"].shape == (44, 1)
        np.testing.assert_array_equal(data["test_images"], X[:5])
    assert "30 images in, 44 out" in capsys.readouterr().out


def test_resample_image_folder(tmp_path):
    save_image_folder(X, np.array(["normal", "rare"])[Y], tmp_path / "in")
    code = main(
        [
            "resample",
            "--sampler",
            "ros",
            "--input",
            str(tmp_path / "in"),
            "--output",
            str(tmp_path / "out"),
            "--sampling-strategy",
            "0.5",
        ]
    )
    assert code == 0
    X_res, y_res = load_image_folder(tmp_path / "out")
    assert X_res.shape[1:] == (8, 8)
    assert sorted(np.unique(y_res, return_counts=True)[1].tolist()) == [11, 22]


def test_bad_input_leaves_no_output(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    assert (
        main(
            [
                "resample",
                "--sampler",
                "dcgan",
                "--input",
                str(tmp_path / "notes.txt"),
                "--output",
                str(tmp_path / "o.npz"),
            ]
        )
        == 2
    )
    assert "neither an image folder nor a .npz" in capsys.readouterr().err
    source = _npz(tmp_path / "in.npz")
    (tmp_path / "taken.npz").write_bytes(b"")
    assert (
        main(
            [
                "resample",
                "--sampler",
                "superpixel",
                "--input",
                str(source),
                "--output",
                str(tmp_path / "taken.npz"),
            ]
        )
        == 2
    )
    assert "exists already" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["resample", "--sampler", "nope", "--input", "a", "--output", "b"])
    # The seed is checked by the option (it blamed the sampler's
    # random_state), before anything is read.
    out = str(tmp_path / "seeded.npz")
    for seed in ["-1", "2**32", "1.5"]:
        with pytest.raises(SystemExit) as stop:
            main(
                ["resample", "--sampler", "ros", "--input", str(source)]
                + ["--output", out, "--seed", seed]
            )
        assert stop.value.code == 2
        assert f"argument --seed: '{seed}' is not a seed" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.npz",
        "notes.txt",
        "taken.npz",
    ]


def test_python_m_gansampler_help():
    done = subprocess.run(
        [sys.executable, "-m", "gansampler", "resample", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--sampler" in done.stdout and "featuresmote" in done.stdout


def test_unreadable_arrays_sizes_and_missing_extras_are_named(
    tmp_path, capsys, monkeypatch
):
    source = _npz(tmp_path / "in.npz")
    data = bytearray(source.read_bytes())
    # Flip a byte in the data of test_images, the third member: the split
    # resampled reads well, the copied one fails its checksum.
    third = [i for i in range(len(data)) if data[i : i + 6] == b"\x93NUMPY"][2]
    data[third + 200] ^= 0xFF
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    out = str(tmp_path / "o.npz")
    args = ["resample", "--sampler", "ros", "--input", str(bad), "--output", out]
    assert main(args) == 2
    assert "its arrays cannot be read" in capsys.readouterr().err
    sized = ["resample", "--sampler", "ros", "--input", str(source), "--output", out]
    assert main(sized + ["--image-size", "4", "4"]) == 2
    assert "--image-size applies to image folders" in capsys.readouterr().err
    assert main(["study", "--data", "dig", "--output", str(tmp_path / "s")]) == 2
    assert "--data dig is neither" in capsys.readouterr().err
    # Mixed sizes in a folder: --image-size makes one size.
    save_image_folder(X[[0, 1, 22, 23]], Y[[0, 1, 22, 23]], tmp_path / "a")
    save_image_folder(np.zeros((2, 6, 6), np.uint8), [0, 1], tmp_path / "b")
    for label in ("0", "1"):
        for file in (tmp_path / "b" / label).iterdir():
            file.rename(tmp_path / "a" / label / f"small-{file.name}")
    mixed = ["resample", "--sampler", "ros", "--input", str(tmp_path / "a")]
    assert main(mixed + ["--output", str(tmp_path / "c")]) == 2
    assert "--image-size H W on the command line" in capsys.readouterr().err
    assert (
        main(mixed + ["--output", str(tmp_path / "c"), "--image-size", "8", "8"]) == 0
    )
    assert load_image_folder(tmp_path / "c")[0].shape[1:] == (8, 8)
    # The new folder gets the mode the umask gives, not mkdtemp's 0700.
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o777 & ~umask
    # An optional dependency the study needs is asked for before any run.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["study", "--output", str(tmp_path / "s")]) == 2
    assert "pip install 'gansampler[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_ctrl_c_says_what_is_kept(tmp_path, capsys, monkeypatch):
    # Ctrl-C during a study or a resample: exit code 130, one line that
    # says what was kept, no stack trace and no partial output.
    import gansampler.study

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(gansampler.study, "run_study", interrupt)
    assert main(["study", "--output", str(tmp_path / "s")]) == 130
    err = capsys.readouterr().err
    assert "gansampler study: interrupted" in err
    assert f"kept in {tmp_path / 's'}/results.csv" in err
    assert "Traceback" not in err
    monkeypatch.setattr("gansampler._registry.Method.build", interrupt)
    source = _npz(tmp_path / "in.npz")
    args = ["resample", "--sampler", "ros", "--input", str(source)]
    assert main(args + ["--output", str(tmp_path / "out.npz")]) == 130
    assert f"Nothing was written to {tmp_path / 'out.npz'}" in capsys.readouterr().err
    assert not (tmp_path / "out.npz").exists()


def test_the_output_takes_the_form_its_name_says(tmp_path, capsys):
    # A name ending in .npz (any case) is a .npz file; any other name is an
    # image folder, whatever the input was.
    save_image_folder(X, np.array(["normal", "rare"])[Y], tmp_path / "folder")
    source = _npz(tmp_path / "in.npz")
    run = ["resample", "--sampler", "ros", "--input"]
    assert (
        main(run + [str(tmp_path / "folder"), "--output", str(tmp_path / "more.npz")])
        == 0
    )
    X_res, y_res = load_medmnist("more.npz", path=tmp_path)
    assert X_res.shape == (44, 8, 8) and sorted(set(y_res)) == ["normal", "rare"]
    with np.load(tmp_path / "more.npz") as data:
        assert data["train_labels"].shape == (44, 1)  # MedMNIST's form
    assert (
        "-> " + str(tmp_path / "more.npz") + " (a .npz file)" in capsys.readouterr().out
    )
    # Without .npz, numpy used to write ".r_out.partial.npz" and the rename
    # failed: now an image folder of the split.
    assert main(run + [str(source), "--output", str(tmp_path / "r_out")]) == 0
    X_res, y_res = load_image_folder(tmp_path / "r_out")
    assert X_res.shape == (44, 8, 8) and sorted(set(y_res)) == ["0", "1"]
    assert "the other arrays are not copied" in capsys.readouterr().out
    assert main(run + [str(source), "--output", str(tmp_path / "upper.NPZ")]) == 0
    with np.load(tmp_path / "upper.NPZ") as data:
        np.testing.assert_array_equal(data["test_images"], X[:5])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "folder",
        "in.npz",
        "more.npz",
        "r_out",
        "upper.NPZ",
    ]


def test_a_failed_write_or_a_folder_that_cannot_be_leaves_nothing(
    tmp_path, capsys, monkeypatch
):
    source = _npz(tmp_path / "in.npz")
    run = ["resample", "--sampler", "ros", "--input", str(source), "--output"]

    def full_disk(file, **arrays):
        # Half an archive written, to a file object or a name.
        if hasattr(file, "write"):
            file.write(b"PK\x03\x04 half")
        else:
            Path(f"{file}.npz" if Path(file).suffix != ".npz" else file).touch()
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(np, "savez_compressed", full_disk)
        assert main(run + [str(tmp_path / "out.npz")]) == 2
    assert "No space left on device" in capsys.readouterr().err
    # Float images cannot be PNG files: refused before the sampler runs.
    np.savez(tmp_path / "float.npz", train_images=X / 255.0, train_labels=Y[:, None])
    ran = []
    monkeypatch.setattr("gansampler._registry.Method.build", lambda *a: ran.append(a))
    floats = ["resample", "--sampler", "ros", "--input", str(tmp_path / "float.npz")]
    assert main(floats + ["--output", str(tmp_path / "pngs")]) == 2
    err = capsys.readouterr().err
    assert f"--output {tmp_path / 'pngs'} names an image folder" in err
    assert "got float64" in err and "End the name in .npz" in err and not ran
    assert main(run + [str(tmp_path / "no" / "out.npz")]) == 2
    assert (
        "the folder " + str(tmp_path / "no") + " does not exist"
        in capsys.readouterr().err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["float.npz", "in.npz"]
