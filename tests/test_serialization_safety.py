"""gradcore.save / gradcore.load under failure and attack: the container written without
numpy.savez / numpy.load, atomic saves (an exception or SIGKILL part way keeps the old file,
permissions as open() gives), and loading crafted files (zip bomb, extra, duplicate and doubly
named members, headers that lie about the data's size) without inflating or allocating."""
import errno
import io
import json
import os
import pathlib
import signal
import struct
import subprocess
import sys
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import gradcore
from gradcore.serialization import save, load

POSIX = os.name == "posix"
ROOT = pathlib.Path(gradcore.__file__).resolve().parents[1]
CORRUPT = r"is not a gradcore checkpoint or is corrupted/truncated \(.*"


def _bytes(obj):
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def _members(obj):
    """The members of ``obj``'s checkpoint, as a list of (name, bytes)."""
    with zipfile.ZipFile(io.BytesIO(_bytes(obj))) as z:
        return [(n, z.read(n)) for n in z.namelist()]


def _npy(arr=None, header=None, data=b""):
    """An .npy file: of ``arr``, or a ``header`` dict followed by raw ``data``."""
    buf = io.BytesIO()
    if arr is not None:
        np.lib.format.write_array(buf, arr, allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(data)
    return buf.getvalue()


def _zip(members, compressed=()):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in members:
                z.writestr(name, data, zipfile.ZIP_DEFLATED if name in compressed else
                           zipfile.ZIP_STORED)
    return buf.getvalue()


def _edit_record(members, edit):
    out = []
    for name, data in members:
        if name == "__gradcore__.npy":
            record = json.loads(np.load(io.BytesIO(data)).tobytes().decode())
            edit(record)
            data = _npy(np.frombuffer(json.dumps(record).encode(), dtype=np.uint8))
        out.append((name, data))
    return out


def _rejected(data, what, peak_mb=None):
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match=CORRUPT + what):
            load(io.BytesIO(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if peak_mb is not None:
        assert peak < peak_mb * 2 ** 20, f"{peak / 2 ** 20:.0f} MB allocated"


# ---- the container -------------------------------------------------------------------------
def test_written_and_read_without_numpy_savez_or_load(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("numpy.savez / numpy.load called")

    for name in ("savez", "savez_compressed", "load"):
        monkeypatch.setattr(np, name, refuse)
    obj = {"w": gradcore.randn(3, 2), "a": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
           "s": np.int16(7)}
    data = _bytes(obj)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == ["t0.npy", "t1.npy", "t2.npy", "__gradcore__.npy"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
    out = load(io.BytesIO(data))
    np.testing.assert_array_equal(out["w"].numpy(), obj["w"].numpy())
    np.testing.assert_array_equal(out["a"], obj["a"])
    assert out["a"].flags.f_contiguous and type(out["s"]) is np.int16 and out["s"] == 7


def test_fortran_order_member_loads():
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    members = _members({"a": np.zeros((3, 4), np.int32)})
    members[0] = ("t0.npy", _npy(header={"descr": "<i4", "fortran_order": True,
                                         "shape": (3, 4)}, data=arr.T.tobytes()))
    np.testing.assert_array_equal(load(io.BytesIO(_zip(members)))["a"], arr)


def test_non_latin1_field_names_refused_at_save():
    with pytest.raises(TypeError, match="Latin-1"):
        save(np.zeros(2, dtype=[("\u2713", "<f4")]), io.BytesIO())
    st = np.zeros(2, dtype=[("\xe9", "<f4"), ("b", [("c", "<i2")])])
    assert load(io.BytesIO(_bytes(st))).dtype == st.dtype


# ---- atomic saves --------------------------------------------------------------------------
@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   KeyboardInterrupt()])
def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt.pt"
    save({"w": gradcore.arange(5)}, path)
    old = path.read_bytes()
    real_open, opened = zipfile.ZipFile.open, []

    def failing_open(self, name, mode="r", **kwargs):
        if mode == "w":
            opened.append(name)
            if len(opened) == 3:  # two members written: the disk fills up
                raise error
        return real_open(self, name, mode, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", failing_open)
    with pytest.raises(type(error)):
        save({"a": gradcore.ones(1000), "b": gradcore.ones(10), "c": gradcore.ones(3)}, path)
    assert len(opened) == 3
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # no temporary file left


_KILLED_SAVE = """
import sys, time, zipfile
import gradcore
real_open = zipfile.ZipFile.open
def open_member(self, name, mode="r", **kwargs):
    if mode == "w" and name.startswith("t1"):  # the 40 MB of t0 written: stop here
        print("writing", flush=True)
        time.sleep(60)
    return real_open(self, name, mode, **kwargs)
zipfile.ZipFile.open = open_member
gradcore.save({"w": gradcore.ones(10_000_000), "b": gradcore.zeros(3)}, sys.argv[1])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"w": gradcore.arange(5)}, path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(path)], env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "writing\n"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        child.kill()
        child.stdout.close()
    np.testing.assert_array_equal(load(path)["w"].numpy(), np.arange(5))
    left = [p for p in tmp_path.iterdir() if p != path]  # the killed save's temporary file
    assert len(left) == 1 and left[0].name.startswith(".ckpt.pt.")
    assert left[0].name.endswith(".tmp") and left[0].stat().st_size > 4e7


@pytest.mark.skipif(not POSIX, reason="POSIX permission bits")
def test_saved_file_permissions(tmp_path):
    path = tmp_path / "ckpt.pt"
    umask = os.umask(0o027)
    try:
        save([1], path)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o640  # 0o666 & ~umask, as open() gives
    path.chmod(0o604)
    save([2], path)
    assert path.stat().st_mode & 0o777 == 0o604 and load(path) == [2]  # the old file's bits


@pytest.mark.skipif(not POSIX, reason="symlinks")
def test_save_through_a_symlink_writes_its_target(tmp_path):
    target, link = tmp_path / "ckpt_100.pt", tmp_path / "latest.pt"
    save([1], target)
    link.symlink_to(target.name)
    save([2], link)
    assert link.is_symlink() and load(target) == [2]


def test_save_into_a_missing_or_read_only_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        save([1], tmp_path / "missing" / "ckpt.pt")
    with pytest.raises(IsADirectoryError if POSIX else OSError):
        save([1], tmp_path)  # a folder as the target, as open() says
    assert os.listdir(tmp_path) == []
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("the folder stays writable (running as root?)")
        with pytest.raises(PermissionError):
            save([1], folder / "ckpt.pt")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


# ---- crafted files -------------------------------------------------------------------------
def test_zip_bomb_rejected_without_inflating():
    members = _members({"w": gradcore.zeros(1, dtype=gradcore.float64)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("t0.npy", "w", force_zip64=True) as m:  # 1 GiB of zeros, deflated
            m.write(_npy(header={"descr": "<f8", "fortran_order": False, "shape": (2 ** 27,)}))
            zeros = bytes(2 ** 20)
            for _ in range(1024):
                m.write(zeros)
        z.writestr(*members[1])
    assert len(buf.getvalue()) < 2 ** 23
    _rejected(buf.getvalue(), "t0.npy is compressed", peak_mb=20)
    _rejected(_zip(members, compressed={"__gradcore__.npy"}), "__gradcore__.npy is compressed")


def test_extra_members_rejected():
    members = _members({"w": gradcore.ones(2)})
    _rejected(_zip(members + [("t1.npy", _npy(np.zeros(3)))]), "t1.npy is named by 0 records")
    _rejected(_zip(members + [("notes.txt", b"hello")]), "unexpected member 'notes.txt'")


def test_duplicate_members_rejected():
    members = _members({"w": gradcore.ones(2)})
    _rejected(_zip(members + [("t0.npy", _npy(np.full(2, 5, np.float32)))]), "duplicate member")


def test_two_records_naming_one_member_rejected():
    members = _members({"a": gradcore.ones(2), "b": gradcore.zeros(2)})
    del members[1]  # t1.npy
    _rejected(_zip(_edit_record(members, lambda r: r["tensors"][1].update(array=0))),
              "t0.npy is named by 2 records")
    members = _members({"a": gradcore.ones(2), "n": np.arange(3)})
    del members[1]
    _rejected(_zip(_edit_record(members, lambda r: r["obj"]["items"][1][1].update(id=0))),
              "t0.npy is named by 2 records")


@pytest.mark.parametrize("shape", [(2 ** 40,), (1000,), (50,), (-2, -50)])
def test_header_disagreeing_with_the_data_size_rejected(shape):
    members = _members({"w": gradcore.zeros(100)})
    members[0] = ("t0.npy", _npy(header={"descr": "<f4", "fortran_order": False, "shape": shape},
                                 data=bytes(400)))
    _rejected(_zip(members), "t0.npy" + (" has a bad shape" if shape[0] < 0 else
                                         ": its header describes"), peak_mb=5)


def _set_central_sizes(data, name, size):
    """``data`` (a zip) with member ``name``'s sizes in the central directory set to ``size``."""
    data, pos = bytearray(data), data.find(b"PK\x01\x02")
    while pos >= 0:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + n] == name.encode():
            struct.pack_into("<II", data, pos + 20, size, size)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def test_member_claiming_more_than_the_file_rejected():
    size = 2 ** 31  # 2 GiB claimed by the central directory and the header alike
    members = _members(np.zeros(1, np.uint8))
    header = len(_npy(header={"descr": "|u1", "fortran_order": False, "shape": (1,)}))
    members[0] = ("t0.npy", _npy(header={"descr": "|u1", "fortran_order": False,
                                         "shape": (size - header,)}, data=bytes(16)))
    _rejected(_set_central_sizes(_zip(members), "t0.npy", size),
              "t0.npy runs past the end of the file", peak_mb=5)


def test_object_dtype_member_rejected_without_unpickling():
    members = _members(np.zeros(1, np.uint8))
    members[0] = ("t0.npy", _npy(header={"descr": "|O", "fortran_order": False, "shape": (1,)},
                                 data=b"cos\nsystem\n(S'exit 1'\ntR."))
    _rejected(_zip(members), "t0.npy holds Python objects")


def test_oversized_structure_record_rejected(monkeypatch):
    import gradcore.serialization as serialization
    monkeypatch.setattr(serialization, "_MAX_RECORD", 100)
    _rejected(_bytes({"w": gradcore.ones(2), "name": "x" * 200}),
              r"__gradcore__.npy is too large \(\d+ bytes\)")


def test_damaged_files_raise_only_the_corrupt_error():
    data = _bytes({"w": gradcore.randn(4, 3), "a": np.arange(5), "s": {0: [1, 2.5, "x"]}})
    rng = np.random.default_rng(0)
    for _ in range(300):
        bad = bytearray(data)
        for i in rng.integers(0, len(bad), rng.integers(1, 5)):
            bad[i] = rng.integers(0, 256)
        bad = bad[:rng.integers(len(bad) // 2, len(bad) + 1)]
        try:
            load(io.BytesIO(bytes(bad)))
        except RuntimeError as e:
            assert "is not a gradcore checkpoint" in str(e)


def test_save_to_a_device_file_and_load_from_a_pipe():
    import os
    save({"a": gradcore.ones(2)}, os.devnull)  # a zip needs tell(); /dev/null's is always 0
    r, w = os.pipe()
    buf = io.BytesIO()
    save({"a": gradcore.arange(3)}, buf)
    os.write(w, buf.getvalue())
    os.close(w)
    with os.fdopen(r, "rb") as f:  # not seekable: read whole first
        assert load(f)["a"].tolist() == [0, 1, 2]
