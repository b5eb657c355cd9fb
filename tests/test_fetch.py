"""fetch_medmnist: a checked download from a local server, the cache, the
errors, and gansampler study --data NAME."""

import hashlib
import http.server
import io
import socket
import threading

import numpy as np
import pytest

from gansampler import datasets
from gansampler._download import RemoteFile
from gansampler.cli import main
from gansampler.datasets import (
    fetch_medmnist,
    get_data_home,
    load_medmnist,
    save_image_folder,
)

RNG = np.random.RandomState(0)
ARRAYS = {}
for _split, _n in (("train", 24), ("val", 6), ("test", 8)):
    ARRAYS[f"{_split}_images"] = RNG.randint(0, 256, (_n, 28, 28)).astype(np.uint8)
    # Both classes in every split, as (n, 1) columns, MedMNIST's form.
    ARRAYS[f"{_split}_labels"] = (np.arange(_n) % 3 == 0).astype(np.uint8)[:, None]


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


GOOD = _npz_bytes(ARRAYS)
MD5 = hashlib.md5(GOOD).hexdigest()


class Server:
    """A local HTTP server: ``files`` maps a path to the bytes served, and
    ``requests`` lists the paths asked for."""

    def __init__(self):
        self.files, self.requests = {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # "short" files stop 100 bytes early and the connection
                # closes: a download cut short.
                self.wfile.write(body[:-100] if "/short/" in self.path else body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    def serve(self, path, body):
        self.files[path] = body
        return f"{self.url}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    server = Server()
    yield server
    server.close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh home and data home, so that no real ~/.medmnist/ or
    ~/gansampler_data/ is read."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GANSAMPLER_DATA", raising=False)
    return tmp_path / "home"


def _publish(monkeypatch, name, url, md5=MD5, size=28):
    """Point the table's entry for (name, size) at url."""
    filename = f"{name}.npz" if size == 28 else f"{name}_{size}.npz"
    monkeypatch.setitem(
        datasets.MEDMNIST_FILES, (name, size), RemoteFile(filename, url, md5)
    )
    return filename


def _closed_port_url():
    """An address where nothing listens: a download there fails at once, as
    with no network."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/pneumoniamnist.npz"


def test_download_checks_caches_and_reads_offline(server, home, tmp_path, monkeypatch):
    url = server.serve("/files/pneumoniamnist.npz?download=1", GOOD)
    filename = _publish(monkeypatch, "pneumoniamnist", url)
    data_home = tmp_path / "data"
    X, y = fetch_medmnist("pneumoniamnist", split="val", data_home=data_home)
    np.testing.assert_array_equal(X, ARRAYS["val_images"])
    np.testing.assert_array_equal(y, ARRAYS["val_labels"][:, 0])
    # Cached whole under the release's name, with nothing else beside it.
    assert sorted(p.name for p in data_home.iterdir()) == [filename]
    assert (data_home / filename).read_bytes() == GOOD
    assert server.requests == ["/files/pneumoniamnist.npz?download=1"]
    # Another split, another call: read from the cache, no request.
    X, y = fetch_medmnist("pneumoniamnist", split="test", data_home=data_home)
    np.testing.assert_array_equal(X, ARRAYS["test_images"])
    X, _ = fetch_medmnist(
        "pneumoniamnist", data_home=data_home, download_if_missing=False
    )
    np.testing.assert_array_equal(X, ARRAYS["train_images"])
    assert len(server.requests) == 1
    # Offline: with the server gone, the cached file is still read.
    _publish(monkeypatch, "pneumoniamnist", _closed_port_url())
    assert len(fetch_medmnist("pneumoniamnist", data_home=data_home)[0]) == 24


def test_data_home_is_the_environment_variable_else_home(
    server, home, tmp_path, monkeypatch
):
    url = server.serve("/dermamnist_64.npz", GOOD)
    _publish(monkeypatch, "dermamnist", url, size=64)
    # Default: ~/gansampler_data, created on the first download.
    assert get_data_home() == str(home / "gansampler_data")
    fetch_medmnist("dermamnist", size=64)
    assert (home / "gansampler_data" / "dermamnist_64.npz").is_file()
    # GANSAMPLER_DATA has the one meaning it has for load_medmnist: the
    # folder that holds the files. A file fetched there is found by both.
    monkeypatch.setenv("GANSAMPLER_DATA", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    assert (tmp_path / "env").is_dir()
    fetch_medmnist("dermamnist", size=64)
    assert (tmp_path / "env" / "dermamnist_64.npz").is_file()
    assert len(server.requests) == 2
    X, _ = load_medmnist("dermamnist_64.npz")
    np.testing.assert_array_equal(X, ARRAYS["train_images"])
    # data_home= wins over both.
    assert get_data_home(tmp_path / "given") == str(tmp_path / "given")


def test_a_file_from_the_medmnist_package_is_used_as_it_is(server, home, monkeypatch):
    # ~/.medmnist/ holds the same files when the medmnist package fetched
    # them: read there, with no download and no copy.
    (home / ".medmnist").mkdir(parents=True)
    (home / ".medmnist" / "breastmnist.npz").write_bytes(GOOD)
    _publish(monkeypatch, "breastmnist", server.serve("/breastmnist.npz", GOOD))
    X, _ = fetch_medmnist("breastmnist")
    np.testing.assert_array_equal(X, ARRAYS["train_images"])
    assert server.requests == []
    assert not (home / "gansampler_data" / "breastmnist.npz").exists()


@pytest.mark.parametrize(
    "path, body, match",
    [
        ("/bad.npz", GOOD[:-10] + b"0123456789", "has MD5 .* not the published"),
        ("/short/cut.npz", GOOD, "Could not .*100 more expected"),
        ("/missing.npz", None, "Could not download .*404"),
    ],
    ids=["wrong-checksum", "cut-short", "not-found"],
)
def test_a_failed_download_is_refused_and_leaves_nothing(
    server, home, tmp_path, monkeypatch, path, body, match
):
    url = server.serve(path, body) if body is not None else server.url + path
    _publish(monkeypatch, "pneumoniamnist", url)
    data_home = tmp_path / "data"
    with pytest.raises(OSError, match=match) as info:
        fetch_medmnist("pneumoniamnist", data_home=data_home)
    message = str(info.value)
    assert url in message and MD5 in message
    assert f"put it in {data_home}" in message
    # No partial, temporary or bad file is left in the data home.
    assert list(data_home.iterdir()) == []
    assert len(server.requests) == 1


def test_no_network_says_which_file_from_where_to_where(home, tmp_path, monkeypatch):
    url = _closed_port_url()
    _publish(monkeypatch, "pneumoniamnist", url)
    data_home = tmp_path / "data"
    with pytest.raises(OSError) as info:
        fetch_medmnist("pneumoniamnist", data_home=data_home)
    message = str(info.value)
    assert message.startswith("Could not download pneumoniamnist.npz (")
    assert f"download it by hand from {url} (MD5 {MD5})" in message
    assert f"put it in {data_home}" in message and "as pneumoniamnist.npz" in message
    assert list(data_home.iterdir()) == []
    # download_if_missing=False: no attempt, and the same directions.
    with pytest.raises(FileNotFoundError) as info:
        fetch_medmnist(
            "pneumoniamnist", data_home=tmp_path / "none", download_if_missing=False
        )
    message = str(info.value)
    assert "download_if_missing=False" in message and url in message
    assert str(tmp_path / "none") in message
    assert not (tmp_path / "none").exists()


def test_unknown_name_size_or_split_lists_the_valid_ones(home):
    with pytest.raises(ValueError) as info:
        fetch_medmnist("pneumonia")
    message = str(info.value)
    assert "got name='pneumonia'" in message
    for name in ("bloodmnist", "chestmnist", "dermamnist", "pneumoniamnist"):
        assert name in message
    assert "organmnist3d" not in message
    with pytest.raises(ValueError, match="size must be one of 28, 64, 128, 224 for"):
        fetch_medmnist("dermamnist", size=32)
    with pytest.raises(ValueError, match="split must be one of"):
        fetch_medmnist("dermamnist", split="training")
    assert not (home / "gansampler_data").exists()


def test_the_table_holds_every_2d_set_at_every_published_size():
    names = {name for name, _ in datasets.MEDMNIST_FILES}
    assert len(names) == 12 and len(datasets.MEDMNIST_FILES) == 48
    remote = datasets.MEDMNIST_FILES["pneumoniamnist", 64]
    assert remote.filename == "pneumoniamnist_64.npz"
    assert remote.url == (
        "https://zenodo.org/records/10519652/files/pneumoniamnist_64.npz?download=1"
    )
    assert remote.md5 == "8f4eceb4ccffa70c672198ea285246c6"
    for remote in datasets.MEDMNIST_FILES.values():
        assert len(remote.md5) == 32 and int(remote.md5, 16) >= 0
        assert f"/files/{remote.filename}?" in remote.url


def _stop_study(monkeypatch):
    """Replace the study's runs by a record of the data they were given."""
    import gansampler.study

    seen = []

    def run_study(X, y, *args, **kwargs):
        seen.append((X, y))
        raise ValueError("stopped before any run")

    monkeypatch.setattr(gansampler.study, "run_study", run_study)
    return seen


def test_study_data_by_name_is_fetched(server, home, tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    seen = _stop_study(monkeypatch)
    monkeypatch.setenv("GANSAMPLER_DATA", str(tmp_path / "data"))
    _publish(monkeypatch, "pneumoniamnist", server.serve("/p.npz", GOOD))
    _publish(monkeypatch, "dermamnist", server.serve("/d64.npz", GOOD), size=64)
    study = ["study", "--output", str(tmp_path / "s")]
    assert main(study + ["--data", "pneumoniamnist"]) == 2
    out, err = capsys.readouterr()
    assert f"Downloading pneumoniamnist.npz from {server.url}/p.npz" in out
    assert "stopped before any run" in err
    np.testing.assert_array_equal(seen[-1][0], ARRAYS["train_images"])
    # Cached: no download the second time, and --split is passed on.
    assert main(study + ["--data", "pneumoniamnist", "--split", "val"]) == 2
    assert "Downloading" not in capsys.readouterr().out
    np.testing.assert_array_equal(seen[-1][1], ARRAYS["val_labels"][:, 0])
    # A size after an underscore.
    assert main(study + ["--data", "dermamnist_64"]) == 2
    assert "dermamnist_64.npz" in capsys.readouterr().out
    assert server.requests == ["/p.npz", "/d64.npz"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "dermamnist_64.npz",
        "pneumoniamnist.npz",
    ]


def test_study_data_names_keep_paths_first_and_refuse_clearly(
    server, home, tmp_path, monkeypatch, capsys
):
    pytest.importorskip("matplotlib")
    seen = _stop_study(monkeypatch)
    monkeypatch.setenv("GANSAMPLER_DATA", str(tmp_path / "data"))
    _publish(monkeypatch, "pneumoniamnist", server.serve("/p.npz", GOOD))
    study = ["study", "--output", str(tmp_path / "s")]
    # A folder of that name in the working folder is read, as before.
    monkeypatch.chdir(tmp_path)
    save_image_folder(ARRAYS["test_images"], ARRAYS["test_labels"], "pneumoniamnist")
    assert main(study + ["--data", "pneumoniamnist"]) == 2
    assert len(seen[-1][0]) == 8 and server.requests == []
    capsys.readouterr()
    cases = [
        (["--data", "dermamnist_32"], "comes at 28, 64, 128, 224 pixels"),
        (["--data", "breastmnist", "--image-size", "8", "8"], "name the size"),
        (["--data", "pneumonia"], "neither 'digits', a MedMNIST data set ("),
    ]
    for args, message in cases:
        assert main(study + args) == 2
        assert message in capsys.readouterr().err
    assert server.requests == []
    # No network: the study stops with the directions, before any run.
    _publish(monkeypatch, "octmnist", _closed_port_url())
    assert main(study + ["--data", "octmnist"]) == 2
    err = capsys.readouterr().err
    assert "Could not download octmnist.npz" in err
    assert f"put it in {tmp_path / 'data'}" in err
    assert len(seen) == 1
