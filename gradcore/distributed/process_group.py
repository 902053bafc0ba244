"""Process groups: init_process_group and the default group, new_group, ranks and sizes,
destroy_process_group -- PyTorch's names, arguments and errors.

The world comes from MPI (``mpi``: MPI.COMM_WORLD's rank and size; RANK / WORLD_SIZE from the
environment or the arguments must agree with it) or from the torchrun environment (``nccl``:
RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, else MPI when the job runs under mpiexec).  A group
holds its backend's communicator (backend_mpi.MpiComm, backend_nccl.NcclComm), its ranks in the
world and its timeout."""
import atexit
import os
import sys
import time
from datetime import timedelta

from . import backend_mpi
from .errors import DistBackendError
from .work import timeout_error, Work

__all__ = ["ProcessGroup", "GroupMember", "group", "Backend", "init_process_group",
           "is_initialized", "destroy_process_group", "new_group", "get_rank",
           "get_world_size", "get_backend", "get_global_rank", "get_group_rank",
           "get_process_group_ranks", "is_mpi_available", "is_nccl_available",
           "is_gloo_available", "is_torchelastic_launched", "default_pg_timeout"]

default_pg_timeout = timedelta(minutes=30)
_NCCL_TIMEOUT = timedelta(minutes=10)  # PyTorch's default_pg_nccl_timeout
_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class Backend(str):
    """Backend(name): a backend's name, lower case ("mpi", "nccl"; "gloo" is PyTorch's own and
    not built here).  ``Backend.MPI``, ``Backend.NCCL`` and ``Backend.GLOO`` are the names."""
    UNDEFINED, GLOO, NCCL, MPI = "undefined", "gloo", "nccl", "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                             f"{type(name)}")
        return str.__new__(cls, name.lower())


class ProcessGroup:
    """ProcessGroup: the ranks a collective runs over (made by init_process_group and
    new_group).  ``rank()`` and ``size()`` are this process's rank in it and its size."""

    def __init__(self, comm, ranks, backend, timeout, name):
        self._comm, self._ranks, self._backend = comm, list(ranks), backend
        self._timeout, self._name, self._seq = timeout, name, 0

    def rank(self):
        """rank(): this process's rank in the group."""
        return self._comm.rank

    def size(self):
        """size(): the number of processes in the group."""
        return self._comm.size

    def name(self):
        """name(): the backend's name."""
        return self._backend

    @property
    def group_name(self):
        """The group's name ("0" for the default group, then "1", "2" ...)."""
        return self._name

    def _global_rank(self):
        return self._ranks[self._comm.rank]

    def _timed_out(self, op, numel, limit, ran):
        err = timeout_error(self._global_rank(), op, numel, limit, ran)
        _world.broken = str(err)
        return err

    def _peer_failed(self, op):
        """The error to raise when a peer has announced its failure (else None)."""
        alerts = _world.alerts
        message = alerts.check() if alerts is not None else None
        if message is None:
            return None
        err = DistBackendError(f"[Rank {self._global_rank()}] {op} can never complete: "
                               f"{message}. The process group is now unusable and the job "
                               f"will be aborted when this process exits.")
        _world.broken = str(err)
        return err

    def _work(self, request, finish=None, *, op, outputs=(), numel=0):
        if _world.broken:
            raise DistBackendError(f"The process group can no longer be used: an earlier "
                                   f"operation failed: {_world.broken}")
        self._seq += 1
        return Work(request, finish, op=op, group=self, outputs=outputs, numel=numel)

    def __repr__(self):
        return f"<gradcore.distributed.ProcessGroup {self._backend} ranks={self._ranks}>"


class _World:
    """The process's distributed state: the default group and every group made since."""

    def __init__(self):
        self.default, self.groups, self.broken, self.count = None, [], None, 0
        self.alerts = None  # backend_mpi.Alerts of the MPI world


_world = _World()


class _WorldMeta(type):
    @property
    def WORLD(cls):
        return _world.default


class GroupMember(metaclass=_WorldMeta):
    """GroupMember.WORLD: the default group (None before init); ``NON_GROUP_MEMBER``: what
    new_group returns on a rank outside the new group (-100, as PyTorch)."""
    NON_GROUP_MEMBER = -100


class group(metaclass=_WorldMeta):
    """group.WORLD: the default process group (None before init_process_group)."""


def is_mpi_available():
    """True when the MPI backend can run (mpi4py imports)."""
    return backend_mpi.available()


def is_nccl_available():
    """True when CuPy has NCCL (``cupy.cuda.nccl``) and a CUDA device answers."""
    from . import backend_nccl
    return backend_nccl.available()


def is_gloo_available():
    """False: gloo is PyTorch's own library; gradcore runs MPI on CPUs."""
    return False


def is_torchelastic_launched():
    """True when the process was started by torchrun (TORCHELASTIC_RUN_ID is set)."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def is_initialized():
    """True once init_process_group has made the default group (until destroyed)."""
    return _world.default is not None


def _default():
    if _world.default is None:
        raise ValueError(_NOT_INIT)
    return _world.default


def _resolve(grp):
    """The group a collective runs on (None: the default)."""
    return _default() if grp is None else grp


def _env_int(name):
    v = os.environ.get(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: "
                         f"environment variable {name} is not an integer: {v!r}") from None


def _agree(what, mpi_value, sources):
    """Check every stated value of ``what`` against MPI's, saying where each came from."""
    for label, value in sources:
        if value is not None and value != mpi_value:
            raise RuntimeError(
                f"init_process_group(backend='mpi'): {label} gives {what}={value} but "
                f"MPI.COMM_WORLD has {what}={mpi_value}. Under MPI the processes are started "
                f"by the MPI launcher: run them with `mpiexec -n N python script.py` or "
                f"`python -m gradcore.distributed.run --nproc-per-node N script.py`, and let "
                f"RANK/WORLD_SIZE (if set) match it.")


def _check_timeout(timeout, default):
    if timeout is None:
        return default
    if not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{timeout}")
    return timeout


def _backend_name(backend):
    if backend is None:
        return "mpi"
    name = str(backend).lower()
    if ":" in name or "," in name:  # "cpu:mpi,cuda:nccl": one backend per device type
        names = {part.split(":")[-1] for part in name.split(",")}
        raise ValueError(f"gradcore runs one backend per process group, got {backend!r} "
                         f"({sorted(names)}): pass 'mpi' (CPU tensors; CUDA tensors through "
                         f"host memory) or 'nccl' (CUDA tensors)")
    if name == "gloo":  # PyTorch's CPU backend: gradcore's CPU collectives are MPI's
        return "mpi"
    if name not in ("mpi", "nccl"):
        raise AssertionError(f"Unknown backend type {backend}")
    return name


def _rendezvous_barrier(comm, timeout, op):
    """Meet every rank of ``comm`` in a polled Ibarrier (so the blocking calls that make
    communicators -- Dup, Split -- never wait on a rank that is not coming)."""
    probe = ProcessGroup(comm, range(comm.size), "mpi", timeout, "init")
    Work(comm.barrier(), op=op, group=probe).wait()


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """init_process_group(backend=None, init_method=None, timeout=None, world_size=-1,
    rank=-1, store=None, group_name='', pg_options=None, device_id=None): make the default
    process group.

    ``backend``: ``"mpi"`` (the default, and what ``"gloo"`` -- PyTorch's CPU backend,
    not built here -- runs on: collectives through mpi4py on host memory; the
    processes must be started by an MPI launcher, whose rank and size are the world -- RANK
    and WORLD_SIZE from the environment, and ``rank`` / ``world_size`` when given, must agree,
    else RuntimeError saying which disagrees) or ``"nccl"`` (CUDA tensors, one GPU per
    process: rank and size from the arguments, RANK / WORLD_SIZE, or MPI; NCCL's unique id goes
    through ``store`` when given, MPI when the job runs under mpiexec, else a TCP rendezvous on
    MASTER_ADDR:MASTER_PORT or ``init_method='tcp://host:port'``).  ``timeout`` (a timedelta;
    default 30 minutes, NCCL 10): the longest any collective waits for its peers before it
    raises DistBackendError.  ``pg_options`` is accepted and unused; ``device_id`` binds the
    NCCL group to that CUDA device."""
    if _world.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if init_method is not None and store is not None:
        raise AssertionError("Cannot specify both init_method and store.")
    name = _backend_name(backend)
    timeout = _check_timeout(timeout, _NCCL_TIMEOUT if name == "nccl" else default_pg_timeout)
    rank = None if rank == -1 else rank
    world_size = None if world_size == -1 else world_size
    if name == "mpi":
        comm = _init_mpi(init_method, rank, world_size, timeout)
    else:
        from . import backend_nccl
        comm = backend_nccl.init_world(init_method, rank, world_size, store, timeout,
                                       device_id)
    pg = ProcessGroup(comm, range(comm.size), name, timeout, group_name or "0")
    _world.default, _world.groups, _world.broken, _world.count = pg, [pg], None, 1
    if name == "mpi":
        _world.alerts = backend_mpi.Alerts(backend_mpi.world().Dup())
    _install_abort_at_exit()


def _init_mpi(init_method, rank, world_size, timeout):
    if not backend_mpi.available():
        raise RuntimeError("The MPI backend needs mpi4py and an MPI library: pip install "
                           "mpi4py mpich")
    if init_method is not None and not (init_method.startswith("env://")
                                        or init_method.startswith("tcp://")
                                        or init_method.startswith("mpi://")):
        raise ValueError(f"init_method {init_method!r}: the MPI backend takes its world from "
                         f"MPI (env://, tcp:// and mpi:// are accepted)")
    w = backend_mpi.world()
    _agree("rank", w.Get_rank(), [("the RANK environment variable", _env_int("RANK")),
                                  ("the rank argument", rank)])
    _agree("world_size", w.Get_size(),
           [("the WORLD_SIZE environment variable", _env_int("WORLD_SIZE")),
            ("the world_size argument", world_size)])
    base = backend_mpi.MpiComm(w)
    _rendezvous_barrier(base, timeout, "INIT")
    return backend_mpi.MpiComm(w.Dup())


def destroy_process_group(group=None):
    """destroy_process_group(group=None): free ``group``'s communicator, or with None every
    group and the default one (init_process_group may then run again)."""
    if _world.default is None:
        raise AssertionError("Process group cannot be None")
    if group is None or group is _world.default:
        for g in _world.groups:
            _free(g)
        _close_alerts()
        _world.default, _world.groups = None, []
        return
    if group == GroupMember.NON_GROUP_MEMBER:
        return
    if group not in _world.groups:
        raise ValueError("Invalid process group specified")
    _free(group)
    _world.groups.remove(group)


def _free(g):
    if not _world.broken:  # a communicator with a request stuck in it cannot be freed
        g._comm.free()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):
    """new_group(ranks=None, timeout=None, backend=None, pg_options=None, ...): a process
    group of the world ranks ``ranks`` (None: all), an MPI communicator split.  Every rank
    of the default group must call it, in the same order as the other new_group calls; on
    a rank outside ``ranks`` it returns ``GroupMember.NON_GROUP_MEMBER``.  Ranks are in
    sorted order (``sort_ranks``)."""
    world = _default()
    size = world.size()
    ranks = list(range(size)) if ranks is None else [int(r) for r in ranks]
    for r in ranks:
        if r < 0 or r >= size:
            raise ValueError(f"Rank {r} is out of range. Valid ranks are 0 to {size - 1} "
                             f"(world_size={size})")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks must be distinct, got {ranks}")
    if sort_ranks:
        ranks = sorted(ranks)
    if backend is not None and _backend_name(backend) != world._backend:
        raise ValueError(f"new_group(backend={backend!r}): gradcore's groups use the default "
                         f"group's backend ({world._backend!r})")
    timeout = _check_timeout(timeout, world._timeout)
    me = world.rank()
    if world._backend == "mpi":
        _rendezvous_barrier(world._comm, timeout, "NEW_GROUP")
        comm = world._comm.split(0 if me in ranks else None, ranks.index(me) if me in ranks
                                 else 0)
    else:
        comm = world._comm.split(ranks, timeout)
    _world.count += 1
    if comm is None:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, world._backend, timeout, str(_world.count - 1))
    _world.groups.append(pg)
    return pg


def _not_member(grp):
    return isinstance(grp, int) and grp == GroupMember.NON_GROUP_MEMBER


def get_rank(group=None):
    """get_rank(group=None): this process's rank in ``group`` (the default group's is the
    global rank); -1 on a rank outside the group."""
    if _not_member(group):
        _default()
        return -1
    return _resolve(group).rank()


def get_world_size(group=None):
    """get_world_size(group=None): the number of processes in ``group``; -1 outside it."""
    if _not_member(group):
        _default()
        return -1
    return _resolve(group).size()


def get_backend(group=None):
    """get_backend(group=None): the name of ``group``'s backend, ``"mpi"`` or ``"nccl"``."""
    if _not_member(group):
        raise ValueError("Invalid process group specified")
    return Backend(_resolve(group)._backend)


def get_process_group_ranks(group):
    """get_process_group_ranks(group): the world ranks of ``group``, in group rank order."""
    return list(_resolve(group)._ranks)


def get_global_rank(group, group_rank):
    """get_global_rank(group, group_rank): the world rank of ``group``'s rank ``group_rank``."""
    g = _resolve(group)
    if not 0 <= group_rank < len(g._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {g}")
    return g._ranks[group_rank]


def get_group_rank(group, global_rank):
    """get_group_rank(group, global_rank): ``global_rank``'s rank in ``group``."""
    g = _resolve(group)
    if global_rank not in g._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {g}")
    return g._ranks.index(global_rank)


def _close_alerts():
    if _world.alerts is not None and not _world.broken:
        _world.alerts.close()
    _world.alerts = None


_abort_installed = False


def _install_abort_at_exit():
    """The exit handlers: tell the peers when this rank dies of an uncaught exception
    (sys.excepthook), and abort the job at exit once a collective is stuck."""
    global _abort_installed
    if not _abort_installed:
        _abort_installed = True
        atexit.register(_abort_at_exit)
        previous = sys.excepthook

        def excepthook(tp, value, tb):
            if _world.alerts is not None and not _world.broken:
                try:
                    _world.alerts.send(f"{tp.__name__}: {value}")
                except Exception:  # noqa: BLE001  (the original error is what matters)
                    pass
            previous(tp, value, tb)
        sys.excepthook = excepthook


def _abort_at_exit():
    """At exit after a failed collective: MPI_Finalize would wait on the request that never
    completes, so abort the job instead (every rank ends, mpiexec exits non-zero)."""
    if not _world.broken:
        _close_alerts()
    if _world.broken and backend_mpi._MPI is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.2)  # let the launcher forward this process's last lines
        backend_mpi.world().Abort(1)
