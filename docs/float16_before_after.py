"""Best-of-7 clip times of the bench's mixed float16 workload, as JSON.

Run it once per source tree, alternately, to compare two versions of
gradclip on the same machine at the same time::

    git worktree add /tmp/before 2e8adac
    for tree in /tmp/before . /tmp/before .; do
        PYTHONPATH=$tree/src python docs/float16_before_after.py
    done
"""

import json
import os
import time

import numpy as np

import gradclip
from gradclip import clip_grads, global_norm
from gradclip.bench._workloads import gradient_workloads


def main() -> None:
    """Print the best of 7 clips below and above the threshold, and the load."""
    workload = next(gradient_workloads({"mixed"}, quick=False))
    grads = workload.grads
    norm = global_norm(grads)
    arrays = list(grads.values())
    pristine = [array.copy() for array in arrays]
    result: dict[str, object] = {"src": gradclip.__file__}
    for case, multiple in (("below", 2.0), ("above", 0.5)):
        best = float("inf")
        for _ in range(7):
            for array, original in zip(arrays, pristine, strict=True):
                np.copyto(array, original)
            start = time.perf_counter()
            clip_grads(grads, norm * multiple)
            best = min(best, time.perf_counter() - start)
        result[case] = best
    result["load"] = os.getloadavg()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
