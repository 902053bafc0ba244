"""spawn / start_processes: run ``fn(i, *args)`` in ``nprocs`` new processes and wait for
them (torch.multiprocessing.spawn's semantics): when one fails the others are terminated and
the parent raises ProcessRaisedException carrying the child's traceback text, or
ProcessExitedException with its exit code or signal."""
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback
import warnings

log = logging.getLogger(__name__)

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "spawn", "SpawnContext", "start_processes"]


class ProcessException(Exception):
    """A spawned process failed: ``error_index`` (its i) and ``error_pid``."""

    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised an exception; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code or was killed by a signal."""

    __slots__ = ["exit_code"]

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _wrap(fn, i, args, error_file):
    """The child's entry point: fn(i, *args); an exception's traceback goes to error_file."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent stopped us
    except Exception:
        with open(error_file, "wb") as fh:
            pickle.dump(traceback.format_exc(), fh)
        sys.exit(1)


def _join_all(processes, timeout):
    end = time.monotonic() + timeout
    for p in processes:
        p.join(max(0, end - time.monotonic()))


class ProcessContext:
    """ProcessContext(processes, error_files): the processes start_processes started;
    ``join()`` waits for them and raises the first failure, ``pids()`` lists them."""

    def __init__(self, processes, error_files):
        self.processes, self.error_files = processes, error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        """pids() -> list of int: the processes' ids."""
        return [int(p.pid) for p in self.processes]

    def join(self, timeout=None, grace_period=None):
        """join(timeout=None, grace_period=None) -> bool

        Wait up to ``timeout`` seconds for a process to end.  True when all have ended
        cleanly, False while some still run; when one failed, terminate the others (after
        ``grace_period`` seconds, then SIGKILL) and raise ProcessRaisedException (with the
        child's traceback) or ProcessExitedException."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(self.sentinels.keys(), timeout=timeout)
        failed = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        if grace_period is not None:
            _join_all(self.processes, grace_period)
        for p in self.processes:
            if p.is_alive():
                log.warning("Terminating process %s via signal SIGTERM", p.pid)
                p.terminate()
        _join_all(self.processes, 30 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                log.warning("Unable to shutdown process %s via SIGTERM , forcefully exiting "
                            "via SIGKILL", p.pid)
                p.kill()
            p.join()
        proc = self.processes[failed]
        if not os.access(self.error_files[failed], os.R_OK):
            code = proc.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                raise ProcessExitedException(f"process {failed:d} terminated with signal "
                                             f"{name}", error_index=failed, error_pid=proc.pid,
                                             exit_code=code, signal_name=name)
            raise ProcessExitedException(f"process {failed:d} terminated with exit code "
                                         f"{code:d}", error_index=failed, error_pid=proc.pid,
                                         exit_code=code)
        with open(self.error_files[failed], "rb") as fh:
            trace = pickle.load(fh)
        os.unlink(self.error_files[failed])
        msg = f"\n\n-- Process {failed:d} terminated with the following error:\n" + trace
        raise ProcessRaisedException(msg, failed, proc.pid)


class SpawnContext(ProcessContext):
    """The old name of ProcessContext (warns, as PyTorch's)."""

    def __init__(self, processes, error_files):
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.",
                      stacklevel=2)
        super().__init__(processes, error_files)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method='spawn')

    Start ``nprocs`` processes with ``start_method`` ('spawn', 'fork', 'forkserver'), process
    i running ``fn(i, *args)``; with join=True wait for all (raising the first failure), else
    return their ProcessContext."""
    mp = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        fd, name = tempfile.mkstemp(prefix="gradcore-errorfile-", suffix=".pickle")
        os.close(fd)
        os.unlink(name)  # the child creates it only when it fails
        p = mp.Process(target=_wrap, args=(fn, i, args, name), daemon=daemon)
        p.start()
        processes.append(p)
        error_files.append(name)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method='spawn')

    start_processes with the 'spawn' method (another start_method warns FutureWarning and
    is ignored, as PyTorch's).  ``fn`` must be importable (defined at a module's top level).

        def work(rank, n): ...
        gradcore.multiprocessing.spawn(work, args=(4,), nprocs=2)
    """
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t"
                      " torch.multiprocessing.start_processes(...)", FutureWarning,
                      stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
