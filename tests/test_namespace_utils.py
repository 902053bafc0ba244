"""torch.* constants and utilities: pi/e/inf/nan, finfo/iinfo, thread count, deterministic
algorithms -- against PyTorch."""
import math

import pytest

import gradcore

DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64"]


def test_constants_are_torchs(torch):
    for name in ("pi", "e", "inf"):
        assert getattr(gradcore, name) == getattr(torch, name)
    assert math.isnan(gradcore.nan) and gradcore.newaxis is None is torch.newaxis


@pytest.mark.parametrize("name", DTYPES)
def test_finfo_iinfo_match_torch(torch, name):
    g, t = getattr(gradcore, name), getattr(torch, name)
    info, ginfo = (torch.finfo, gradcore.finfo) if t.is_floating_point else (
        torch.iinfo, gradcore.iinfo)
    want, got = info(t), ginfo(g)
    attrs = ("bits", "max", "min", "dtype") + (
        ("eps", "tiny", "smallest_normal", "resolution") if t.is_floating_point else ())
    for a in attrs:
        assert getattr(got, a) == getattr(want, a), (name, a)
    assert repr(got) == repr(want)
    wrong = gradcore.iinfo if t.is_floating_point else gradcore.finfo
    twrong = torch.iinfo if t.is_floating_point else torch.finfo
    with pytest.raises(TypeError) as e:
        wrong(g)
    with pytest.raises(TypeError) as te:
        twrong(t)
    assert str(e.value) == str(te.value)


def test_finfo_defaults_to_the_default_dtype(torch):
    assert repr(gradcore.finfo()) == repr(torch.finfo())
    gradcore.set_default_dtype(gradcore.float64)
    try:
        assert gradcore.finfo().dtype == "float64"
    finally:
        gradcore.set_default_dtype(gradcore.float32)


def test_num_threads_round_trip_and_refuses_nonpositive(torch):
    before = gradcore.get_num_threads()
    assert before >= 1
    gradcore.set_num_threads(1)
    try:
        assert gradcore.get_num_threads() == 1
    finally:
        gradcore.set_num_threads(before)
    for bad in (0, -1):
        with pytest.raises(RuntimeError) as e:
            gradcore.set_num_threads(bad)
        with pytest.raises(RuntimeError) as te:
            torch.set_num_threads(bad)
        assert str(e.value) == str(te.value)


def test_deterministic_algorithms_setting_round_trips():
    assert not gradcore.are_deterministic_algorithms_enabled()
    gradcore.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert gradcore.are_deterministic_algorithms_enabled()
        assert gradcore.is_deterministic_algorithms_warn_only_enabled()
    finally:
        gradcore.use_deterministic_algorithms(False)
    assert not gradcore.are_deterministic_algorithms_enabled()
