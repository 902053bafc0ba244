"""Generator: a random-number stream of its own, as ``torch.Generator``.

A Generator draws with its device backend's stream kind -- on the CPU PyTorch's own algorithm
(backend/mt19937.py: mt19937 seeded as PyTorch seeds it, PyTorch's transforms), on CUDA
CuPy's generator (backend/xp_stream.py) -- and holds a shallow copy of that backend whose
``_rng`` (the stream) is its own, so the backend's draw methods run unchanged on the
generator's stream.  Samplers take it as ``generator=`` (``draw_backend``, ``draw_stream``).

``get_state()`` returns a CPU uint8 tensor (as PyTorch): on the CPU PyTorch's 5056-byte
``CPUGeneratorImplState`` (``torch.set_rng_state`` accepts it, and the other way round); on
CUDA the JSON text of CuPy's bit-generator state and the initial seed.
"""
import copy
import json
import operator

import numpy as np

from .backend import get_backend, cpu_backend, DEFAULT_SEED as default_seed
from .backend.mt19937 import MT19937Stream
from .backend.numpy_backend import nondeterministic_seed
from .tensor import Tensor, _wrap

_MASK = 0xFFFF_FFFF_FFFF_FFFF


def _seed_value(seed):
    try:
        seed = operator.index(seed)
    except TypeError:
        raise TypeError(f"manual_seed expected a long, but got {type(seed).__name__}") from None
    if not -(1 << 63) <= seed <= _MASK:
        raise RuntimeError("Overflow when unpacking long")
    return seed & _MASK


def _device_backend(device):
    from ._device import as_device
    d = as_device(device)
    if d.type == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("Cannot create a generator on a CUDA device: "
                               "gradcore.cuda.is_available() is False")
    return get_backend(d)


class Generator:
    """``Generator(device='cpu')``: seed with ``manual_seed``; pass as ``generator=``."""

    def __init__(self, device="cpu"):
        be = _device_backend(device)
        self._be = copy.copy(be)  # the device's backend, drawing from this generator's RNG
        self.manual_seed(default_seed)

    @property
    def device(self):
        return self._be.device

    def manual_seed(self, seed):
        self._be.manual_seed(_seed_value(seed))
        return self

    def seed(self):
        """Seed from OS entropy (64 bits, as PyTorch); returns the seed used."""
        s = nondeterministic_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._be.initial_seed

    def get_state(self):
        """The generator's state as a CPU uint8 tensor (on the CPU PyTorch's layout)."""
        rng = self._be._rng
        if isinstance(rng, MT19937Stream):
            return _wrap(rng.get_state(), cpu_backend())
        try:
            state = rng.get_state()
        except (AttributeError, RuntimeError):
            raise RuntimeError(f"get_state() is not supported for {self.device.type} "
                               f"generators: this backend's RNG state cannot be read") from None
        text = json.dumps({"seed": self.initial_seed(), "rng": state})
        return _wrap(np.frombuffer(text.encode(), dtype=np.uint8).copy(), cpu_backend())

    def set_state(self, new_state):
        """Restore a state from get_state (on the CPU also one from torch.get_rng_state)."""
        if not isinstance(new_state, Tensor) or new_state.dtype.name != "uint8":
            raise TypeError("RNG state must be a gradcore.ByteTensor")
        raw = new_state._be.to_host(new_state._arr).tobytes()
        if isinstance(self._be._rng, MT19937Stream):
            self._be._rng.set_state(raw)
            self._be.initial_seed = self._be._rng.seed
            return self
        try:
            rec = json.loads(raw.decode())
            seed, state = _seed_value(rec["seed"]), rec["rng"]
        except Exception:
            raise RuntimeError(f"Expected a generator state from Generator.get_state() but "
                               f"found an input RNG state of {len(raw)} bytes that is not "
                               f"one") from None
        be = self._be
        try:
            be._rng.set_state(state)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise RuntimeError(f"Invalid RNG state for a {self.device.type} generator: "
                               f"{e}") from None
        be.initial_seed = seed
        return self

    def __repr__(self):
        return f"<gradcore.Generator object on {self.device}>"


class _DefaultGenerator(Generator):
    """The global generator of a device: the backend's own stream (gradcore.manual_seed)."""

    def __init__(self, be):
        self._be = be


default_generator = _DefaultGenerator(cpu_backend())


def draw_backend(be, generator, name="rand"):
    """The backend whose RNG draws for a tensor on ``be``: ``be`` itself (the global stream)
    or the generator's own copy of it."""
    if generator is None:
        return be
    if not isinstance(generator, Generator):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"generator={type(generator).__name__}, but expected a "
                        f"gradcore.Generator")
    gd, d = generator.device, be.device
    if gd != d:
        raise RuntimeError(f"Expected a '{d.type}' device type for generator but found "
                           f"'{gd.type}'" if gd.type != d.type else
                           f"Expected a generator on {d} but found one on {gd}")
    return generator._be


def draw_stream(be, generator, name="rand"):
    """The stream (backend/mt19937.py or xp_stream.py) that draws for a tensor on ``be``."""
    return draw_backend(be, generator, name)._rng
