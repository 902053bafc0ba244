"""gradcore.save / gradcore.load: round trips (every dtype, Parameters, requires_grad, nested
state dicts with int keys), the safe on-disk format (a plain npz, no pickle), map_location,
corrupt/truncated files and unsupported types."""
import collections
import io
import json
import pathlib
import zipfile

import numpy as np
import pytest

import gradcore
from gradcore.serialization import save, load

HAS_CUDA = gradcore.cuda.is_available()

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **load_kw)


def _same(a, b):
    assert type(a) is type(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
    assert a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())


def _parameter():
    import gradcore.nn as nn
    return nn.Parameter


# ---- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
def test_every_dtype(device, dt):
    arr = (np.arange(-6, 6).reshape(3, 4) * 7.25).astype(dt)
    t = gradcore.tensor(arr, device=device)
    items = [t, t[0, 0], t[:0], t.t(), t[:, ::2]]  # 0-d, empty, non-contiguous views
    out = _roundtrip(items)
    assert isinstance(out, list) and len(out) == len(items)
    for a, b in zip(items, out):
        _same(a, b)


def test_requires_grad_and_leaves(device):
    w = gradcore.randn(3, 2, device=device, requires_grad=True)
    y = (w * 2).sum()
    y.backward()
    d = gradcore.ones(2, dtype=gradcore.float64, device=device)
    out = _roundtrip({"w": w, "y": y, "d": d})
    assert out["w"].requires_grad and out["w"].is_leaf and out["w"].grad is None
    assert out["y"].requires_grad and out["y"].is_leaf  # saved as a leaf, as PyTorch
    assert not out["d"].requires_grad
    _same(w, out["w"])
    assert out["y"].item() == pytest.approx(y.item())
    # the loaded tensor is independent of the saved one
    out["w"].detach().mul_(0)
    assert w.abs().sum().item() > 0


def test_parameters(device):
    Parameter = _parameter()
    p = Parameter(gradcore.randn(4, 3, device=device))
    frozen = Parameter(gradcore.ones(2, device=device), requires_grad=False)
    out = _roundtrip(collections.OrderedDict(weight=p, frozen=frozen, plain=p.detach()))
    assert type(out["weight"]) is Parameter and out["weight"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    assert type(out["plain"]) is gradcore.Tensor and not out["plain"].requires_grad
    _same(p, out["weight"])
    # a Parameter and a tensor sharing its memory load as separate copies
    out["plain"].mul_(0)
    assert out["weight"].abs().sum().item() > 0


def test_state_dicts_with_int_keys(device):
    sd = collections.OrderedDict()
    for name in ("layer2.weight", "layer1.weight", "layer1.bias", "bn.num_batches_tracked"):
        sd[name] = gradcore.randn(2, 2, device=device)
    sd["bn.num_batches_tracked"] = gradcore.tensor(7, device=device)
    sd._metadata = collections.OrderedDict({"": {"version": 1}, "bn": {"version": 2}})
    opt = {"state": {0: {"step": gradcore.tensor(3.0), "exp_avg": gradcore.ones(3, device=device),
                         "exp_avg_sq": gradcore.zeros(3, device=device)},
                     2: {"momentum_buffer": None}},
           "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                             "weight_decay": 0, "amsgrad": False, "maximize": False,
                             "foreach": None, "params": [0, 1, 2]}]}
    misc = {"epoch": 12, "best": float("inf"), "nan": float("nan"), "neg": -(2 ** 70),
            "name": "résumé ✓", "empty": ([], (), {}), 1.5: "float key", (1, "a"): "tuple key",
            None: "none key", True: "bool key", "dtype": gradcore.float16,
            "device": gradcore.device("cpu"), "size": gradcore.Size([2, 3]),
            "np": (np.float32(2.5), np.int64(3), np.arange(4, dtype=np.uint8))}
    out = _roundtrip({"model": sd, "optimizer": opt, "misc": misc})
    m = out["model"]
    assert type(m) is collections.OrderedDict and list(m) == list(sd)
    assert m._metadata == sd._metadata and type(m._metadata) is collections.OrderedDict
    for k in sd:
        _same(sd[k], m[k])
    o = out["optimizer"]
    assert type(o) is dict and list(o["state"]) == [0, 2]
    assert all(type(k) is int for k in o["state"])
    assert o["param_groups"] == opt["param_groups"]
    assert type(o["param_groups"][0]["betas"]) is tuple
    assert o["state"][2] == {"momentum_buffer": None}
    for k, v in opt["state"][0].items():
        _same(v, o["state"][0][k])
    x = out["misc"]
    assert list(x) == list(misc)
    for k in misc:
        if k in ("nan", "np"):
            continue
        assert x[k] == misc[k] and type(x[k]) is type(misc[k]), k
    assert np.isnan(x["nan"]) and x[True] == "bool key" and x[1.5] == "float key"
    assert type(x["size"]) is gradcore.Size and x["dtype"] is gradcore.float16
    a, b, c = x["np"]
    assert type(a) is np.float32 and a == 2.5 and type(b) is np.int64 and b == 3
    np.testing.assert_array_equal(c, np.arange(4, dtype=np.uint8))
    assert c.dtype == np.uint8


def test_shared_tensor_object_loads_once():
    t = gradcore.randn(3)
    out = _roundtrip({"a": t, "b": [t, t[1:]]})
    assert out["a"] is out["b"][0]
    assert out["b"][1] is not out["a"]
    _same(t[1:], out["b"][1])


def test_scalars_and_top_level_values():
    for obj in (None, 3, 2.5, "s", True, [], {}, (1,), gradcore.tensor(1.5)):
        out = _roundtrip(obj)
        if isinstance(obj, gradcore.Tensor):
            _same(obj, out)
        else:
            assert out == obj and type(out) is type(obj)


# ---- files ---------------------------------------------------------------------------------
def test_paths_and_file_objects(tmp_path):
    obj = {"w": gradcore.randn(2, 3), "step": 4}
    for path in (str(tmp_path / "a.pt"), tmp_path / "b.pth"):
        save(obj, path)
        assert pathlib.Path(path).exists()
        assert not pathlib.Path(str(path) + ".npz").exists()  # exactly the path given
        out = load(path)
        _same(obj["w"], out["w"])
        assert out["step"] == 4
    with open(tmp_path / "c.pt", "wb") as f:
        save(obj, f)
        save([1, 2], io.BytesIO())
    with open(tmp_path / "c.pt", "rb") as f:
        _same(obj["w"], load(f)["w"])
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.pt")


def test_file_is_a_plain_npz_without_pickle(tmp_path):
    Parameter = _parameter()
    path = tmp_path / "ckpt.pt"
    obj = {"p": Parameter(gradcore.randn(3)), "state": {0: {"m": gradcore.zeros(2)}},
           "t": (1, "x", None)}
    save(obj, path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert all(n.endswith(".npy") for n in names), names
        assert not any("pkl" in n or "pickle" in n for n in names)
        for n in names:
            assert z.read(n)[:6] == b"\x93NUMPY"
    with np.load(path, allow_pickle=False) as z:  # would raise on any pickled member
        arrays = {k: z[k] for k in z.files}
    assert all(a.dtype != object for a in arrays.values())
    record = json.loads(arrays.pop("__gradcore__").tobytes().decode())
    assert record["format"] == "gradcore.save"
    assert sorted(r["type"] for r in record["tensors"]) == ["Parameter", "Tensor"]
    assert len(arrays) == 2


# ---- map_location --------------------------------------------------------------------------
def _forge(obj, edit):
    """A checkpoint of ``obj`` whose JSON record was changed by ``edit(record)``."""
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    record = json.loads(arrays["__gradcore__"].tobytes().decode())
    edit(record)
    arrays["__gradcore__"] = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
    out = io.BytesIO()
    np.savez(out, **arrays)
    out.seek(0)
    return out


def _on_cuda(record):
    for r in record["tensors"]:
        r["device"] = "cuda:0"


def test_map_location_variants():
    obj = {"w": gradcore.randn(2, 2, requires_grad=True), "n": gradcore.arange(3)}
    for ml in ("cpu", gradcore.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s,
               lambda s, loc: None):
        buf = _forge(obj, lambda r: None)
        out = load(buf, map_location=ml)
        _same(obj["w"], out["w"])
        _same(obj["n"], out["n"])
    seen = []
    load(_forge(obj, _on_cuda), map_location=lambda s, loc: seen.append(
        (loc, s.device.type, s.requires_grad)) or s)
    assert seen == [("cuda:0", "cpu", False), ("cuda:0", "cpu", False)]
    with pytest.raises(TypeError, match="map_location should be"):
        load(_forge(obj, lambda r: None), map_location=3)
    with pytest.raises(TypeError, match="map_location returned"):
        load(_forge(obj, lambda r: None), map_location=lambda s, loc: 3)


def test_cuda_checkpoint_remapped_to_cpu():
    obj = {"w": gradcore.randn(2, 2, requires_grad=True)}
    for ml in ("cpu", {"cuda:0": "cpu"}, lambda s, loc: s):
        out = load(_forge(obj, _on_cuda), map_location=ml)
        assert out["w"].device == gradcore.device("cpu")
        _same(obj["w"], out["w"])


@pytest.mark.skipif(HAS_CUDA, reason="checks the error of a CPU-only machine")
def test_cuda_checkpoint_on_cpu_only_machine():
    obj = {"w": gradcore.randn(2, 2)}
    for ml in (None, {"cpu": "cpu"}, lambda s, loc: None, "cuda"):
        with pytest.raises(RuntimeError, match=r"Attempting to deserialize object on a CUDA "
                                               r"device but gradcore.cuda.is_available\(\) "
                                               r"is False.*map_location"):
            load(_forge(obj, _on_cuda), map_location=ml)


@pytest.mark.gpu
def test_cuda_round_trip_and_remap():
    w = gradcore.randn(3, 2, device="cuda", requires_grad=True)
    out = _roundtrip({"w": w})
    assert out["w"].device == w.device
    _same(w, out["w"])
    cpu = _roundtrip({"w": w}, map_location={"cuda:0": "cpu"})["w"]
    assert cpu.device == gradcore.device("cpu")
    np.testing.assert_array_equal(cpu.detach().numpy(), w.detach().cpu().numpy())
    back = _roundtrip({"w": w.detach().cpu()}, map_location="cuda")["w"]
    assert back.device.type == "cuda"
    with pytest.raises(RuntimeError, match="gradcore.cuda.device_count"):
        load(_forge({"w": w.detach().cpu()},
                    lambda r: r["tensors"][0].update(device="cuda:99")))


# ---- bad files -----------------------------------------------------------------------------
def _good_bytes():
    buf = io.BytesIO()
    save({"w": gradcore.randn(40, 30), "state": {0: [1, 2.5]}}, buf)
    return buf.getvalue()


def test_truncated_and_corrupt_files(tmp_path):
    data = _good_bytes()
    path = tmp_path / "bad.pt"
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF  # inside the tensor's bytes: the zip CRC check fails
    for bad in [data[:n] for n in (0, 10, 100, len(data) // 2, len(data) - 1)] + \
            [bytes(flipped), b"hello world, not a checkpoint"]:
        path.write_bytes(bad)
        with pytest.raises(RuntimeError, match=r"bad\.pt is not a gradcore checkpoint or is "
                                               r"corrupted/truncated"):
            load(path)
        with pytest.raises(RuntimeError, match="is not a gradcore checkpoint"):
            load(io.BytesIO(bad))


def test_wrong_contents_rejected(tmp_path):
    obj = {"w": gradcore.randn(2), "k": {0: 1}}
    edits = [lambda r: r.update(format="other"),
             lambda r: r.update(version=99),
             lambda r: r["tensors"][0].update(dtype="float64"),  # disagrees with the array
             lambda r: r["tensors"][0].update(dtype="complex64"),
             lambda r: r["tensors"][0].update(array=5),
             lambda r: r["tensors"][0].update(type="Module"),
             lambda r: r["tensors"][0].update(device="tpu"),
             lambda r: r["obj"]["items"][0].__setitem__(1, {"$": "tensor", "id": 9}),
             lambda r: r["obj"]["items"][1].__setitem__(1, {"$": "pickle", "v": "x"}),
             lambda r: r["obj"].__setitem__("items", [[[1, 2], 3]])]  # unhashable key
    for edit in edits:
        with pytest.raises(RuntimeError, match="is not a gradcore checkpoint"):
            load(_forge(obj, edit))
    plain = tmp_path / "plain.npy"
    np.save(plain, np.arange(3))
    with pytest.raises(RuntimeError, match="plain.npy is not a gradcore checkpoint"):
        load(plain)
    other = io.BytesIO()
    np.savez(other, a=np.arange(3))
    other.seek(0)
    with pytest.raises(RuntimeError, match="is not a gradcore checkpoint"):
        load(other)


@pytest.mark.parametrize("zip_format", [True, False])
def test_torch_checkpoint_recognised(torch, tmp_path, zip_format):
    # told apart from gradcore's format and read (tests/test_torch_checkpoint.py: the rest)
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=zip_format)
    for f in (path, io.BytesIO(path.read_bytes())):
        out = load(f)
        assert list(out) == ["w"] and out["w"].tolist() == [1.0, 1.0]


# ---- unsupported types ---------------------------------------------------------------------
class _MyTensor(gradcore.Tensor):
    pass


def test_unsupported_types_raise_at_save(tmp_path):
    path = tmp_path / "never.pt"
    for obj, name in [(object(), "object"), ({"a": [1, {2, 3}]}, "set"),
                      ({"f": lambda x: x}, "function"), (b"bytes", "bytes"),
                      (np.array([None]), "dtype object"),
                      ([_MyTensor(gradcore.ones(1))], "_MyTensor"),
                      ({"g": gradcore.Tensor.add}, "function")]:
        with pytest.raises(TypeError, match=name):
            save(obj, path)
        assert not path.exists()  # nothing written
    with pytest.raises(TypeError, match=r"obj\['a'\]\[1\]"):  # names where it was found
        save({"a": [1, {2}]}, io.BytesIO())
    loop = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, io.BytesIO())
