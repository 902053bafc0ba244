"""gradcore.utils.safetensors: files interchangeable with safetensors.torch (every dtype both
ways, metadata, lazy slices), Module.load_state_dict from them giving PyTorch's outputs,
safetensors.torch's refusals (shared memory, non-contiguous), tied weights through save_model /
load_model, and a clear ImportError without the package."""
import sys

import numpy as np
import pytest

import gradcore
import gradcore.nn as gnn
from gradcore.utils import safetensors as gs

pytest.importorskip("safetensors")

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool", "complex64"]


def _torch_zoo(torch):
    out = {dt: (torch.arange(6) % 3 - int(dt != "bool")).to(getattr(torch, dt)).reshape(2, 3)
           for dt in DTYPES if dt != "uint8"}
    out["uint8"] = torch.arange(6, dtype=torch.uint8)
    out["zero_dim"] = torch.tensor(2.5)
    out["empty"] = torch.zeros(0, 4)
    out["half_small"] = torch.tensor([0.1, -65504.0], dtype=torch.float16)
    return out


def test_torch_file_loads_here_and_back(torch, tmp_path):
    st = pytest.importorskip("safetensors.torch")
    zoo = _torch_zoo(torch)
    path = tmp_path / "zoo.safetensors"
    st.save_file(zoo, path, metadata={"format": "pt", "note": "x"})
    out = gs.load_file(path)
    assert set(out) == set(zoo)
    for k, v in zoo.items():
        g = out[k]
        assert isinstance(g, gradcore.Tensor) and str(g.dtype) == str(v.dtype).replace(
            "torch", "gradcore"), k
        assert tuple(g.shape) == tuple(v.shape) and g.tolist() == v.tolist(), k
    out["float32"][0, 0] = 7.0  # writable, the file untouched
    assert gs.load_file(path)["float32"][0, 0].item() == zoo["float32"][0, 0].item()
    back = tmp_path / "back.safetensors"
    gs.save_file(gs.load_file(path), back, metadata={"k": "v"})
    again = st.load_file(back)
    for k, v in zoo.items():
        assert again[k].dtype == v.dtype and torch.equal(again[k], v), k
    with gs.safe_open(path) as f:
        assert f.metadata() == {"format": "pt", "note": "x"} and set(f.keys()) == set(zoo)
        assert f.get_slice("float64")[:, 1:].tolist() == zoo["float64"][:, 1:].tolist()
        assert f.get_slice("bfloat16").get_dtype() == "BF16"
        assert f.get_slice("float64").get_shape() == [2, 3]
        assert f.get_tensor("bfloat16").dtype is gradcore.bfloat16


def test_bytes_round_trip_and_torch_bytes(torch):
    st = pytest.importorskip("safetensors.torch")
    zoo = _torch_zoo(torch)
    out = gs.load(st.save(zoo))
    for k, v in zoo.items():
        assert out[k].tolist() == v.tolist()
    mine = {k: gradcore.tensor(v.tolist(), dtype=getattr(gradcore, str(v.dtype)[6:]))
            .reshape(tuple(v.shape)) for k, v in zoo.items()}
    theirs = st.load(gs.save(mine))
    for k, v in zoo.items():
        assert theirs[k].dtype == v.dtype and torch.equal(theirs[k], v), k
    assert gs.load(gs.save(mine))["bfloat16"].dtype is gradcore.bfloat16


def test_load_state_dict_gives_pytorchs_outputs(torch, tmp_path):
    st = pytest.importorskip("safetensors.torch")

    def build(nn):
        return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                             nn.Flatten(), nn.Linear(3 * 5 * 5, 4))
    tm = build(torch.nn)
    tm.train()
    tm(torch.randn(4, 2, 5, 5))
    tm.eval()
    path = tmp_path / "model.safetensors"
    st.save_file(tm.state_dict(), path)
    gm = build(gnn).eval()
    result = gm.load_state_dict(gs.load_file(path))
    assert not result.missing_keys and not result.unexpected_keys
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32)
    with torch.no_grad():
        want = tm(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(gm(gradcore.from_numpy(x)).detach().numpy(), want,
                               rtol=1e-5, atol=1e-6)
    # and gradcore's file loads into PyTorch's model
    out = tmp_path / "gradcore.safetensors"
    gs.save_file(gm.state_dict(), out)
    tm2 = build(torch.nn).eval()
    tm2.load_state_dict(st.load_file(out))
    with torch.no_grad():
        np.testing.assert_array_equal(tm2(torch.from_numpy(x)).numpy(), want)


def test_refusals_as_safetensors_torch(torch, tmp_path):
    st = pytest.importorskip("safetensors.torch")
    path = tmp_path / "x.safetensors"
    x, tx = gradcore.ones(4), torch.ones(4)
    for mine, theirs, err in [({"a": x, "b": x[2:]}, {"a": tx, "b": tx[2:]}, RuntimeError),
                              ({"a": gradcore.ones(2, 3).t()}, {"a": torch.ones(2, 3).t()},
                               ValueError),
                              ({"a": 1}, {"a": 1}, ValueError), ([x], [tx], ValueError)]:
        with pytest.raises(err) as got:
            gs.save_file(mine, path)
        with pytest.raises(err) as want:
            st.save_file(theirs, path)
        assert str(got.value).replace("gradcore", "torch").split(":")[0] == \
            str(want.value).split(":")[0]
    # non-overlapping views of one storage are fine (as safetensors.torch's)
    gs.save_file({"a": x[:2], "b": x[2:]}, path)
    assert st.load_file(path)["b"].tolist() == [1.0, 1.0]
    with pytest.raises(Exception, match="complex128"):  # the library's own refusal
        gs.save_file({"c": gradcore.ones(1, dtype=gradcore.complex128)}, path)


def test_tied_weights_through_save_model(torch, tmp_path):
    st = pytest.importorskip("safetensors.torch")
    m = gnn.Sequential(gnn.Embedding(5, 3), gnn.Linear(3, 5, bias=False))
    m[1].weight = m[0].weight  # tied
    path = tmp_path / "tied.safetensors"
    with pytest.raises(RuntimeError, match="share memory"):
        gs.save_file(m.state_dict(), path)
    gs.save_model(m, path)
    with gs.safe_open(path) as f:
        assert list(f.keys()) == ["0.weight"] and f.metadata() == {"1.weight": "0.weight"}
    m2 = gnn.Sequential(gnn.Embedding(5, 3), gnn.Linear(3, 5, bias=False))
    m2[1].weight = m2[0].weight
    assert gs.load_model(m2, path) == (set(), [])
    assert m2[1].weight.tolist() == m[0].weight.tolist()
    tm = torch.nn.Sequential(torch.nn.Embedding(5, 3), torch.nn.Linear(3, 5, bias=False))
    tm[1].weight = tm[0].weight
    assert st.load_model(tm, path) == (set(), [])  # PyTorch's reader agrees
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.weight"'):
        gs.load_model(gnn.Sequential(gnn.Embedding(5, 3), gnn.Linear(3, 5, bias=False)), path)


def test_missing_package_names_the_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    with pytest.raises(ImportError, match="pip install safetensors"):
        gs.save_file({"a": gradcore.ones(1)}, tmp_path / "a.safetensors")
    with pytest.raises(ImportError, match="pip install safetensors"):
        gs.load(b"")


def test_gradcore_load_reads_a_safetensors_path(torch, tmp_path, monkeypatch):
    st = pytest.importorskip("safetensors.torch")
    path = tmp_path / "w.safetensors"
    st.save_file({"w": torch.arange(3.0)}, path)
    assert gradcore.load(path)["w"].tolist() == torch.load(path)["w"].tolist()
    assert gradcore.load(path, map_location="cpu")["w"].dtype is gradcore.float32
    for m, word in (({"cpu": "cpu"}, "dict"), (lambda s, loc: s, "callable")):
        with pytest.raises(RuntimeError) as got:
            gradcore.load(path, map_location=m)
        with pytest.raises(RuntimeError) as want:
            torch.load(path, map_location=m)
        assert str(got.value) == str(want.value) and word in str(got.value)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    with pytest.raises(RuntimeError, match="pip install safetensors"):
        gradcore.load(path)
