"""torch.cuda.amp / torch.cpu.amp: importable modules whose autocast, GradScaler, custom_fwd and
custom_bwd are torch.amp's with PyTorch's FutureWarnings; torch.cpu's device functions."""
import importlib
import warnings

import pytest

import gradcore


def _warned(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("module,names", [
    ("cuda.amp", ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]),
    ("cpu.amp", ["autocast", "GradScaler"])])
def test_from_import_forms(torch, module, names):
    mine = importlib.import_module(f"gradcore.{module}")
    theirs = importlib.import_module(f"torch.{module}")
    for name in names:
        assert hasattr(theirs, name) and hasattr(mine, name), name
    assert getattr(gradcore, module.split(".")[0]).amp is mine


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_autocast_warning_and_region(torch, device):
    lib_region = {}
    for lib in (torch, gradcore):
        mod = getattr(lib, device).amp

        def run():
            with mod.autocast():
                return (lib.ones(2, 3) @ lib.ones(3, 2)).dtype
        lib_region[lib.__name__] = _warned(run)
    (tdt, twarn), (gdt, gwarn) = lib_region["torch"], lib_region["gradcore"]
    assert str(gdt).split(".")[1] == str(tdt).split(".")[1]
    assert gwarn == twarn
    assert any(c is FutureWarning and "is deprecated" in m for c, m in gwarn)


def test_cpu_autocast_arguments(torch):
    with pytest.warns(FutureWarning):
        with gradcore.cpu.amp.autocast(dtype=gradcore.float16, enabled=True):
            assert gradcore.get_autocast_dtype("cpu") is gradcore.float16
            assert gradcore.is_autocast_enabled("cpu")
    assert not gradcore.is_autocast_enabled("cpu")


@pytest.mark.parametrize("name", ["custom_fwd", "custom_bwd"])
@pytest.mark.parametrize("bare", [True, False])
def test_custom_fwd_bwd_warnings(torch, name, bare):
    def run(lib):
        deco = getattr(lib.cuda.amp, name)
        return deco(lambda ctx, x: x) if bare else deco()(lambda ctx, x: x)
    if name == "custom_bwd" and not bare:  # it takes the function itself
        for lib in (torch, gradcore):
            with pytest.raises(TypeError):
                lib.cuda.amp.custom_bwd()
        return
    (_, twarn), (gfn, gwarn) = _warned(lambda: run(torch)), _warned(lambda: run(gradcore))
    assert gwarn == twarn and callable(gfn)


def test_grad_scaler_spelling(torch):
    (_, twarn), (gs, gwarn) = (_warned(lambda: torch.cpu.amp.GradScaler()),
                               _warned(lambda: gradcore.cpu.amp.GradScaler()))
    assert gwarn == twarn and gs.get_scale() == 2.0 ** 16


def test_cpu_device_module(torch):
    for name in ("is_available", "is_initialized", "device_count", "current_device",
                 "synchronize"):
        assert getattr(gradcore.cpu, name)() == getattr(torch.cpu, name)(), name
    assert gradcore.cpu.set_device("cpu") is None
