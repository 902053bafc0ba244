"""Work: the handle of a collective in flight (``async_op=True``), and the deadline every wait
keeps.

A collective is posted as a non-blocking request (MPI's ``Iallreduce`` ..., an event recorded
after an NCCL call); ``wait`` polls it -- spinning for 10 ms, then every ~1 ms -- until it
completes, a peer announces its failure (an uncaught exception there sends a notice:
``backend_mpi.Alerts``; the wait raises at once, naming that rank and its error), or the
process group's timeout passes (a peer that hangs or was killed: DistBackendError naming the
operation, the rank and the timeout).  Either marks the process group broken -- the request
can never be taken back -- so every later collective raises at once and the job is aborted
when the process exits (``process_group._abort_at_exit``)."""
import time
import warnings
from datetime import timedelta

from .errors import DistBackendError

__all__ = ["Work"]


# Polls without sleeping for this long first: a sleep costs ~60 us of timer slack, once per
# MPI progress step, which is most of a mid-size all_reduce's time (16 KiB: 420 -> 40 us).
_SPIN = 0.01


def _seconds(timeout):
    return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)


class Work:
    """Work: a collective or point-to-point operation posted with ``async_op=True``.

    ``wait(timeout=None)`` blocks until it has completed (True) or its deadline passes
    (DistBackendError); ``is_completed()`` asks without blocking; ``result()`` is the list of
    output tensors; ``source_rank()`` the sender of a ``irecv`` from any source;
    ``exception()`` the error a failed wait raised (else None)."""

    def __init__(self, request, finish=None, *, op, group, outputs=(), numel=0):
        self._req, self._finish, self._op, self._group = request, finish, op, group
        self._outputs, self._numel = list(outputs), numel
        self._done, self._error, self._source = False, None, -1
        self._started = time.monotonic()

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                src = self._finish()
                if isinstance(src, int):
                    self._source = src
            self._req = self._finish = None

    def is_completed(self):
        """is_completed(): True once the operation has finished (never blocks)."""
        if not self._done and self._error is None and self._req.done():
            self._complete()
        return self._done

    def wait(self, timeout=None):
        """wait(timeout=None): block until the operation completes (returns True); past
        ``timeout`` (a timedelta; default: the process group's) raise DistBackendError."""
        if self._done:
            return True
        if self._error is not None:
            raise self._error
        limit = _seconds(timeout if timeout is not None else self._group._timeout)
        deadline = self._started + limit if timeout is None else time.monotonic() + limit
        done, spins, clock = self._req.done, 0, time.monotonic
        spin_until = clock() + _SPIN
        while not done():
            spins += 1
            if spins % 64 == 0:
                err = self._group._peer_failed(self._op)
                if err is not None:
                    self._error = err
                    raise err
                now = clock()
                if now > deadline:
                    self._error = self._group._timed_out(self._op, self._numel, limit,
                                                         now - self._started)
                    raise self._error
                if now > spin_until:  # a long wait: poll every ~1 ms, leave the core
                    time.sleep(1e-3)
        self._complete()
        return True

    def is_success(self):
        """is_success(): deprecated in PyTorch: True when completed without error."""
        warnings.warn("Work::is_success API is being deprecated, please ping "
                      "https://github.com/pytorch/pytorch/issues/46291 if you see this warning")
        return self.is_completed() and self._error is None

    def exception(self):
        """exception(): the error the operation failed with, or None."""
        return self._error

    def result(self):
        """result(): the operation's output tensors (a list)."""
        return list(self._outputs)

    def source_rank(self):
        """source_rank(): the rank a completed ``irecv`` received from."""
        if not self._done:
            raise RuntimeError("source_rank() may only be called on a completed recv work")
        return self._source


def timeout_error(rank, op, numel, limit, ran):
    """The DistBackendError of a collective whose peers never joined it."""
    return DistBackendError(
        f"[Rank {rank}] Watchdog caught collective operation timeout: Work(OpType={op}, "
        f"NumelIn={numel}, Timeout(ms)={int(limit * 1000)}) ran for {int(ran * 1000)} "
        f"milliseconds before timing out. A rank of the group never joined this operation "
        f"(it raised, crashed, hangs, or is running a different collective); check the other "
        f"ranks' output. The process group is now unusable and the job will be aborted when "
        f"this process exits.")
