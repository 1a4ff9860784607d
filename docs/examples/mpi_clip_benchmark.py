"""Time gradclip.distributed.clip_grads against single-process clipping.

Run from a checkout with the ``mpi`` extra installed::

    .venv/bin/mpiexec -n 2 .venv/bin/python docs/examples/mpi_clip_benchmark.py

For each set of float32 gradients, sharded round-robin by array among the
ranks, rank 0 prints the median time of one collective ``clip_grads`` step
(the slowest rank's), the median time of single-process
``gradclip.clip_grads`` on all the arrays in one process (measured in turns
with it, by rank 0 while the other ranks sleep), and the bytes each rank
hands to MPI per step, counted on the communicator itself.
"""

import os
import statistics
import time
from typing import Any

import numpy as np
from mpi4py import MPI

import gradclip
from gradclip import FloatArray
from gradclip.distributed import clip_grads

REPEATS = 50
SETS: dict[str, list[tuple[int, ...]]] = {
    "TwoLayerNet(784, 50, 10)": [(784, 50), (50,), (50, 10), (10,)],
    "4 arrays, 1e3 elements": [(250,)] * 4,
    "4 arrays, 1e5 elements": [(25_000,)] * 4,
    "4 arrays, 1e7 elements": [(2_500_000,)] * 4,
    "100 arrays, 1e7 elements": [(100_000,)] * 100,
    "1000 arrays, 1e6 elements": [(1_000,)] * 1000,
}


class CountingComm(MPI.Intracomm):
    """A communicator that counts the bytes of every buffer it is handed."""

    sent = 0

    def Allreduce(self, sendbuf: Any, recvbuf: Any, op: MPI.Op = MPI.SUM) -> None:
        self.sent += np.asarray(sendbuf).nbytes
        super().Allreduce(sendbuf, recvbuf, op)

    def Iallreduce(
        self, sendbuf: Any, recvbuf: Any, op: MPI.Op = MPI.SUM
    ) -> MPI.Request:
        self.sent += np.asarray(sendbuf).nbytes
        return super().Iallreduce(sendbuf, recvbuf, op)


def gradients(shapes: list[tuple[int, ...]]) -> list[FloatArray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape, dtype=np.float32) for shape in shapes]


def measure(
    comm: CountingComm, shard: list[FloatArray], arrays: list[FloatArray]
) -> tuple[float, float, int]:
    """Median ms of a collective step (slowest rank) and of a single-process
    clip of all arrays on rank 0, taken in turns; bytes this rank sends per step.

    While rank 0 clips alone, the other ranks sleep rather than wait in MPI's
    busy loop, which would take a core from it.
    """
    clip_grads(shard, 1.0, comm)  # warm up
    if comm.rank == 0:
        gradclip.clip_grads(arrays, 1.0)
    collective, single, before = [], [], comm.sent
    for _ in range(REPEATS):
        comm.Barrier()
        start = time.perf_counter()
        clip_grads(shard, 1.0, comm)
        collective.append(comm.allreduce(time.perf_counter() - start, op=MPI.MAX))
        if comm.rank == 0:
            start = time.perf_counter()
            gradclip.clip_grads(arrays, 1.0)
            single.append(time.perf_counter() - start)
        done = comm.Ibarrier()
        while not done.Test():
            time.sleep(0.0002)
    sent = (comm.sent - before) // REPEATS
    if comm.rank != 0:
        return 0.0, 0.0, sent
    return 1e3 * statistics.median(collective), 1e3 * statistics.median(single), sent


def main() -> None:
    comm = CountingComm(MPI.COMM_WORLD)
    if comm.rank == 0:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{comm.size} ranks on {os.cpu_count()} cores, load average {load}")
        print(
            f"{'float32 gradients':<26} {'elements':>9} {'collective':>11} "
            f"{'single':>9} {'ratio':>6} {'bytes/rank':>10}"
        )
    for name, shapes in SETS.items():
        arrays = gradients(shapes)
        shard = [a.copy() for i, a in enumerate(arrays) if i % comm.size == comm.rank]
        collective, single, sent = measure(comm, shard, arrays)
        if comm.rank == 0:
            elements = sum(a.size for a in arrays)
            print(
                f"{name:<26} {elements:>9} {collective:>8.3f} ms {single:>6.3f} ms "
                f"{collective / single:>5.2f}x {sent:>10}"
            )


if __name__ == "__main__":
    main()
