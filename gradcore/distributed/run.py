"""The launcher, torchrun's flags that apply:

    python -m gradcore.distributed.run --nproc-per-node N [--nnodes M --node-rank K
        --master-addr HOST --master-port PORT] [--backend mpi|nccl] script.py args...

``--backend mpi`` (the default) starts the N processes through ``mpiexec -n N`` (one MPI job,
so MPI.COMM_WORLD is the world); each runs this module again as a thin shim (``--mpi-child``)
that reads its rank from the MPI launcher's environment (MPICH's PMI_RANK / MPI_LOCALRANKID,
Open MPI's OMPI_COMM_WORLD_*, Slurm's SLURM_PROCID / SLURM_LOCALID), sets RANK, LOCAL_RANK,
WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT as torchrun does, and runs the
script as ``__main__``.  Across machines under MPI one launcher starts every process (mpiexec
with a host list, or srun): see docs/distributed.md.  ``--backend nccl`` starts the N processes
itself, as torchrun, with ranks ``node_rank * N + local_rank`` of ``nnodes * N``; when one
exits with an error the others are stopped and its exit code is returned."""
import argparse
import os
import runpy
import shutil
import signal
import subprocess
import sys
import time

__all__ = ["main", "parse_args", "find_mpiexec"]

_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS")
_LOCAL_VARS = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID")
_LOCAL_SIZE_VARS = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE")


def parse_args(argv=None):
    """The launcher's arguments (torchrun's spellings: ``--nproc-per-node`` and
    ``--nproc_per_node`` ...)."""
    p = argparse.ArgumentParser(prog="python -m gradcore.distributed.run",
                                description="Start the processes of a gradcore.distributed "
                                            "job (torchrun's flags that apply).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1)
    p.add_argument("--nnodes", type=str, default="1")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--standalone", action="store_true",
                   help="one node, rendezvous on localhost (as torchrun)")
    p.add_argument("--backend", choices=("mpi", "nccl"), default="mpi",
                   help="mpi: start the processes through mpiexec; nccl: start them here")
    p.add_argument("--mpiexec", default="mpiexec", help="the MPI launcher to call")
    p.add_argument("-m", "--module", action="store_true",
                   help="run the script as a module (python -m)")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the script as an executable, not with python")
    p.add_argument("--mpi-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.nproc_per_node < 1:
        p.error("--nproc-per-node must be at least 1")
    try:
        args.nnodes = int(args.nnodes.split(":")[-1])
    except ValueError:
        p.error(f"--nnodes: an integer or MIN:MAX, got {args.nnodes!r}")
    if args.standalone:
        args.nnodes, args.node_rank, args.master_addr = 1, 0, "127.0.0.1"
    if not 0 <= args.node_rank < args.nnodes:
        p.error(f"--node-rank {args.node_rank} is not below --nnodes {args.nnodes}")
    return args


def _first(names, default=None):
    for n in names:
        if os.environ.get(n, "") != "":
            return int(os.environ[n])
    return default


def _script_command(args):
    if args.no_python:
        return [args.training_script, *args.training_script_args]
    if args.module:
        return [sys.executable, "-m", args.training_script, *args.training_script_args]
    return [sys.executable, args.training_script, *args.training_script_args]


def _run_child(args):
    """Inside mpiexec: torchrun's environment from the MPI launcher's, then the script."""
    rank = _first(_RANK_VARS, 0)
    size = _first(_SIZE_VARS, args.nproc_per_node * args.nnodes)
    local = _first(_LOCAL_VARS, rank % args.nproc_per_node)
    local_size = _first(_LOCAL_SIZE_VARS, args.nproc_per_node)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local),
                      LOCAL_WORLD_SIZE=str(local_size), GROUP_RANK=str(rank // local_size),
                      MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port))
    if args.no_python:
        os.execvp(args.training_script, [args.training_script, *args.training_script_args])
    sys.argv = [args.training_script, *args.training_script_args]
    if args.module:
        runpy.run_module(args.training_script, run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(args.training_script)))
        runpy.run_path(args.training_script, run_name="__main__")
    return 0


def find_mpiexec(name="mpiexec"):
    """The MPI launcher: beside this Python first (the ``mpich`` wheel installs it into the
    environment's bin/, which need not be on PATH), then on PATH; None if neither."""
    if os.path.dirname(name):
        return name if os.access(name, os.X_OK) else None
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.access(here, os.X_OK) else shutil.which(name)


def _run_mpi(args):
    if args.nnodes > 1:
        raise SystemExit("gradcore.distributed.run: under MPI one launcher starts the "
                         "processes of every node (mpiexec -n N -hosts a,b ... or srun), not "
                         "one run per node; see docs/distributed.md")
    exe = find_mpiexec(args.mpiexec)
    if exe is None:
        raise SystemExit(f"gradcore.distributed.run: {args.mpiexec!r} is not on PATH (pip "
                         f"install mpi4py mpich, or pass --mpiexec)")
    child = [sys.executable, "-m", "gradcore.distributed.run", "--mpi-child",
             f"--nproc-per-node={args.nproc_per_node}", f"--master-addr={args.master_addr}",
             f"--master-port={args.master_port}"]
    child += ["-m"] if args.module else []
    child += ["--no-python"] if args.no_python else []
    cmd = [exe, "-n", str(args.nproc_per_node), *child, args.training_script,
           *args.training_script_args]
    return subprocess.call(cmd)


def _run_local(args):
    """Start the processes of this node (the nccl backend), as torchrun."""
    n, procs = args.nproc_per_node, []
    for local in range(n):
        env = dict(os.environ, RANK=str(args.node_rank * n + local), LOCAL_RANK=str(local),
                   WORLD_SIZE=str(args.nnodes * n), LOCAL_WORLD_SIZE=str(n),
                   GROUP_RANK=str(args.node_rank), MASTER_ADDR=args.master_addr,
                   MASTER_PORT=str(args.master_port))
        procs.append(subprocess.Popen(_script_command(args), env=env))
    code = 0
    try:
        while procs:
            for p in list(procs):
                rc = p.poll()
                if rc is None:
                    continue
                procs.remove(p)
                if rc != 0:
                    code = rc
                    for q in procs:
                        q.send_signal(signal.SIGTERM)
                    for q in procs:
                        q.wait()
                    procs = []
                    break
            time.sleep(0.05)
    except KeyboardInterrupt:
        for q in procs:
            q.send_signal(signal.SIGINT)
        raise
    return code


def main(argv=None):
    """Run the launcher on ``argv`` (default: sys.argv[1:]); returns the exit code."""
    args = parse_args(argv)
    if args.mpi_child:
        return _run_child(args)
    if args.backend == "mpi":
        return _run_mpi(args)
    return _run_local(args)


if __name__ == "__main__":
    sys.exit(main())
