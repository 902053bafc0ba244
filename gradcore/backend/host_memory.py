"""Host memory: glibc's malloc tuned for training loops (Linux/glibc only; opt out with
``GRADCORE_MALLOC_TUNING=0``).

A training step allocates and frees the same arrays every step: im2col columns, activations,
gradients.  With glibc's defaults the mmap threshold starts at 128 KiB and adapts only after a
large mmap'd block is freed, and the heap's free top is given back to the OS whenever it passes
the trim threshold (128 KiB until that adaptation).  A step whose arrays stay under the
threshold (the CNN benchmark's) then shrinks the heap at its end and page-faults it back in at
the next one: 665 minor faults a step, 1.6 ms -> 3.0 ms.  Whether a process lands in that state
depends on what it freed before (importing PyTorch first often avoids it), so timings were
bimodal.

``tune_malloc`` sets the values glibc's own adaptation converges to (mmap threshold at its
32 MiB ceiling, trim threshold twice that) from the start: arrays up to 32 MiB come from the
heap and up to 64 MiB of free heap top is kept for the next step instead of being returned.
Larger arrays are still mmap'd and returned to the OS when freed.  A process that sets any
``MALLOC_*_`` variable or glibc malloc tunable keeps its own choice.
"""
import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc sets when it raises the mmap threshold

applied = None  # {"mmap_threshold": bytes, "trim_threshold": bytes} once tune_malloc set them


def _user_chose():
    if os.environ.get("GRADCORE_MALLOC_TUNING", "1").strip().lower() in ("0", "false", "no",
                                                                          "off"):
        return True
    if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return True
    return any(k.startswith("MALLOC_") and k.endswith("_") for k in os.environ)


def tune_malloc():
    """Apply the settings above once, where glibc's mallopt exists and the user chose none."""
    global applied
    if applied is not None or not sys.platform.startswith("linux") or _user_chose():
        return applied
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc; musl has no mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        applied = {"mmap_threshold": MMAP_THRESHOLD, "trim_threshold": TRIM_THRESHOLD}
    return applied
