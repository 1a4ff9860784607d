"""Train TwoLayerNet data-parallel over MPI ranks, clipping sharded gradients.

Run from a checkout with the ``mpi`` extra installed::

    .venv/bin/mpiexec -n 4 .venv/bin/python docs/examples/mpi_sharded_training.py

Rank 0 prints the loss and the global gradient norm per epoch, and a digest
of the final parameters: the same text, to the last bit, for 1, 2, 4 or any
number of ranks.

Each step cuts the batch of 64 samples into 8 chunks of 8, whatever the
number of ranks; rank ``r`` computes the gradients of chunks ``r, r + size,
...``. Each parameter (``W1 b1 W2 b2``) belongs to one rank (the i-th to rank
``i % size``), as in optimizer-state sharding: one all-to-all sends every
chunk's gradient of a parameter to its owner, which adds the chunks in chunk
order, so the sum is the same float operations for any number of ranks.
The owners clip their gradients together with
``gradclip.distributed.clip_grads`` (the global norm is exact and the same
on every rank), update their parameters and broadcast them.

References:
    Rajbhandari et al., "ZeRO: Memory optimizations toward training trillion
    parameter models", SC 2020, arXiv:1910.02054.
"""

import hashlib

import numpy as np
from mpi4py import MPI
from numpy.typing import NDArray

from gradclip import FloatArray, TwoLayerNet
from gradclip.distributed import clip_grads

FEATURES, HIDDEN, CLASSES = 20, 32, 4
SAMPLES, BATCH, CHUNKS = 512, 64, 8
EPOCHS, LEARNING_RATE, MAX_NORM = 10, 0.5, 1.0

Chunk = tuple[int, dict[str, FloatArray]]


def make_data() -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Samples labelled by a fixed random teacher network: no download."""
    rng = np.random.default_rng(2026)
    x = rng.standard_normal((SAMPLES, FEATURES))
    teacher = rng.standard_normal((FEATURES, CLASSES))
    t = np.argmax(
        np.tanh(x @ teacher) + 0.3 * rng.standard_normal((SAMPLES, CLASSES)), axis=1
    )
    return x, t


def main() -> None:
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    x, t = make_data()
    net = TwoLayerNet(FEATURES, HIDDEN, CLASSES, weight_init_std=0.5, rng=0)
    owner = {key: i % size for i, key in enumerate(net.params)}
    mine = [key for key in net.params if owner[key] == rank]
    order = np.random.default_rng(7)
    if rank == 0:
        print("epoch  mean loss            last global norm     clipped steps")
    for epoch in range(1, EPOCHS + 1):
        losses, clipped, norm = [], 0, 0.0
        for batch in order.permutation(SAMPLES).reshape(-1, BATCH):
            chunks = batch.reshape(CHUNKS, -1)
            outgoing: list[list[Chunk]] = [[] for _ in range(size)]
            chunk_losses: list[tuple[int, float]] = []
            for c in range(rank, CHUNKS, size):
                grads = net.gradient(x[chunks[c]], t[chunks[c]])
                chunk_losses.append((c, net.loss(x[chunks[c]], t[chunks[c]])))
                for r in range(size):
                    part = {k: g.copy() for k, g in grads.items() if owner[k] == r}
                    outgoing[r].append((c, part))
            incoming: list[list[Chunk]] = comm.alltoall(outgoing)
            by_chunk = sorted(chunk for sent in incoming for chunk in sent)
            shard = {key: _sum_in_order(by_chunk, key) / CHUNKS for key in mine}
            norm = clip_grads(shard, MAX_NORM, comm)
            clipped += norm > MAX_NORM
            for key in mine:
                net.params[key] -= LEARNING_RATE * shard[key]
            for key, root in owner.items():
                comm.Bcast(net.params[key], root=root)
            gathered: list[list[tuple[int, float]]] = comm.allgather(chunk_losses)
            step_loss = 0.0
            for _, loss in sorted(pair for sent in gathered for pair in sent):
                step_loss += loss
            losses.append(step_loss / CHUNKS)
        if rank == 0:
            mean = sum(losses) / len(losses)
            print(f"{epoch:5d}  {mean!r:<19}  {norm!r:<19}  {clipped}/{len(losses)}")
    if rank == 0:
        digest = hashlib.sha256(
            b"".join(net.params[key].tobytes() for key in net.params)
        ).hexdigest()
        print(f"accuracy {net.accuracy(x, t)!r}, parameters sha256 {digest[:16]}")


def _sum_in_order(chunks: list[Chunk], key: str) -> FloatArray:
    """Add one parameter's chunk gradients in chunk order: the same operations
    however many ranks computed them."""
    total = np.zeros_like(chunks[0][1][key])
    for _, part in chunks:
        total += part[key]
    return total


if __name__ == "__main__":
    main()
