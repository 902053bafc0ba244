"""torch.random: the global generators' seeding and state (also at gradcore's top level).

``manual_seed`` seeds every device's global generator (the CPU's is PyTorch's mt19937 stream,
backend/mt19937.py, so a seeded CPU program draws PyTorch's numbers); an unseeded process
starts from a fresh 64-bit seed from the OS, as PyTorch's.  ``get_rng_state`` is PyTorch's
5056-byte CPU state (interchangeable with ``torch.get_rng_state()``).  ``fork_rng`` restores
the CPU's and the CUDA devices' states on exit.
"""
import contextlib
import copy

from .backend import manual_seed as _seed_all, get_backend
from ._generator import Generator, default_generator, _DefaultGenerator, _seed_value
from .tensor import Tensor

__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "fork_rng", "Generator", "default_generator"]


def manual_seed(seed):
    """manual_seed(seed) -> Generator

    Seed every device's global generator (CPU and CUDA) with the int ``seed``, so rand, randn,
    dropout, shuffling ... repeat; returns the default (CPU) generator."""
    _seed_all(_seed_value(seed))
    return default_generator


def initial_seed():
    """initial_seed() -> int

    The seed the default CPU generator was last seeded with (by manual_seed or seed)."""
    return default_generator.initial_seed()


def seed():
    """seed() -> int

    Seed every device's global generator from OS entropy (non-deterministic); returns the
    seed used."""
    s = default_generator.seed()
    _seed_all(s)
    return s


def get_rng_state():
    """get_rng_state() -> Tensor

    The default CPU generator's state as a uint8 tensor (PyTorch's 5056 bytes), to restore
    with set_rng_state."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """set_rng_state(new_state) -> None

    Restore the default CPU generator to a state from get_rng_state (a uint8 tensor; one from
    torch.get_rng_state() too)."""
    default_generator.set_state(new_state)


def _save(be):
    try:
        return _DefaultGenerator(be).get_state()
    except RuntimeError:  # a stream whose state can't be read: keep a copy of it
        return copy.deepcopy(be._rng)


def _restore(be, state):
    if isinstance(state, Tensor):
        _DefaultGenerator(be).set_state(state)
    else:
        be._rng = state


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """fork_rng(devices=None, enabled=True, device_type='cuda')

    A context manager: the CPU generator's state (and that of the ``device_type`` devices in
    ``devices``, default every visible one) is saved on entry and restored on exit, so draws
    inside leave the streams outside as they were."""
    if not enabled:
        yield
        return
    from . import cuda
    backends = [get_backend("cpu")]
    if device_type == "cuda" and cuda.is_available():
        ids = range(cuda.device_count()) if devices is None else devices
        backends += [get_backend(f"cuda:{int(getattr(d, 'index', d) or 0)}") for d in ids]
    states = [(be, _save(be)) for be in backends]
    try:
        yield
    finally:
        for be, state in states:
            _restore(be, state)
