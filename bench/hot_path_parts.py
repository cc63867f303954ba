"""Two small parts of a chat turn, each against what it replaced, in CPU time.

    .venv/bin/python bench/hot_path_parts.py [--seconds 3]

* The chat's in-process rate limits: a loop of ~200 counted messages a second (a hit every 5 ms)
  over 10, 100 and 400 keys (one key per open conversation), with the `limits` library's async
  MemoryStorage and with api/services/moving_windows.InProcessMovingWindows. Prints CPU seconds
  spent per second of the loop (an idle loop of the same sleeps costs ~0.02).
* Index arrays: a row's dot product and a 3-row slice from an np.memmap, and from the plain
  ndarray over the same mapping that knowledge.sparse.mapped returns. Prints µs per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.services.moving_windows import InProcessMovingWindows  # noqa: E402
from knowledge.sparse import mapped  # noqa: E402


async def limiter_cpu(storage: object, keys: int, seconds: float) -> float:
    limiter = MovingWindowRateLimiter(storage)  # type: ignore[arg-type]
    item = parse("1000/minute")
    for key in range(keys):
        await limiter.hit(item, "conversation", str(key))
    cpu, wall, n = time.process_time(), time.perf_counter(), 0
    while time.perf_counter() - wall < seconds:
        await limiter.hit(item, "conversation", str(n % keys))
        n += 1
        await asyncio.sleep(0.005)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


def per_operation_us(operation, count: int = 20000) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for i in range(count):
        operation(i)
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each limiter loop")
    args = parser.parse_args()

    print("rate limits, CPU seconds per second:")
    for keys in (10, 100, 400):
        library = asyncio.run(limiter_cpu(MemoryStorage(), keys, args.seconds))
        ours = asyncio.run(limiter_cpu(InProcessMovingWindows(), keys, args.seconds))
        print(f"  {keys:>4} keys: limits MemoryStorage {library:.2f}, InProcessMovingWindows {ours:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "embeddings.npy"
        np.save(path, np.random.default_rng(0).random((5000, 384), dtype=np.float32))
        query = np.ones(384, dtype=np.float32)
        print("index arrays, µs per operation (row dot product / 3-row slice):")
        for name, array in (("np.memmap", np.load(path, mmap_mode="r")), ("mapped", mapped(path))):
            dot = per_operation_us(lambda i, a=array: float(np.dot(a[i % 5000], query)))
            rows = per_operation_us(lambda i, a=array: a[i % 5000 : i % 5000 + 3])
            print(f"  {name:>9}: {dot:.1f} / {rows:.2f}")


if __name__ == "__main__":
    main()
