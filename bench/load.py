"""Load on the citizen chat: many conversations at once, with and without pauses between turns.

    .venv/bin/python bench/load.py [--levels 10,20,50,100,200] [--turns 5] [--modes nopause,pause]
                                   [--replicas 2] [--url http://host:port]

Starts the real stack on free ports (bench/stack_helper.py) unless --url names a running one:
one api and one Rasa on SQLite, or with --replicas N, N api processes and N Rasa servers
behind HAProxy on PostgreSQL and Redis (LOKET_BENCH_POSTGRES_URL, LOKET_BENCH_REDIS_URL;
default the machine's own, a fresh database per run).
For each level N and mode, N conversations start together; each sends --turns knowledge
questions, one after the other, like the chat page does: one Idempotency-Key per message and,
on a busy reply (429), a retry after Retry-After under the same key. "pause": a citizen waits
a random 2-5 s between turns (reading, typing); "nopause": the next turn is sent as soon as the
reply is there, which measures the server saturated.

Per run it prints:
* latency of a turn as the citizen sees it (first send until the answer, busy retries included):
  p50/p95/p99;
* errors: any reply other than 200 or 429, or no reply at all;
* busy: 429 replies (not errors: the page retries by itself);
* reconnects: requests resent after a failed connection (the page does the same);
* lost: messages sent but not stored once with an answer (read back from the api afterwards);
* throughput: answered turns per second of the run;
* on stderr per run: the p95 of the conversations' first turns and of their later turns apart
  (with pauses the first turns arrive together, within 2 s, the later ones spread out);
* for the stack it starts itself (one api, one Rasa), on stderr per run: the CPU time each
  process spent per answered turn and its resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import ssl
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack_helper import running_loket, running_replicas  # noqa: E402
from turn_latency import QUESTIONS, percentile  # noqa: E402

MAX_ATTEMPTS = 60  # busy retries per message before it counts as an error


@dataclass
class Run:
    conversations: int
    mode: str
    turns_sent: int = 0
    latencies_s: list[float] = field(default_factory=list)
    # The first turn of each conversation apart: they arrive together when the conversations open
    # (within 2 s with pauses), the later ones spread out.
    first_turn_latencies_s: list[float] = field(default_factory=list)
    later_turn_latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: int = 0
    reconnects: int = 0
    lost: int = 0
    wall_s: float = 0.0
    sent: dict[str, int] = field(default_factory=dict)  # conversation -> messages sent

    def summary(self) -> dict[str, object]:
        ms = [t * 1000 for t in self.latencies_s] or [0.0]
        return {
            "conversations": self.conversations,
            "mode": self.mode,
            "turns": self.turns_sent,
            "p50_ms": round(percentile(ms, 0.50)),
            "p95_ms": round(percentile(ms, 0.95)),
            "p99_ms": round(percentile(ms, 0.99)),
            "errors": len(self.errors),
            "busy": self.busy,
            "reconnects": self.reconnects,
            "lost": self.lost,
            "turns_per_s": round(len(self.latencies_s) / self.wall_s, 1) if self.wall_s else 0.0,
            "first_turn_p95_ms": _p95_ms(self.first_turn_latencies_s),
            "later_turns_p95_ms": _p95_ms(self.later_turn_latencies_s),
        }


def _p95_ms(latencies_s: list[float]) -> int | None:
    return round(percentile([t * 1000 for t in latencies_s], 0.95)) if latencies_s else None


async def citizen(http: httpx.AsyncClient, run: Run, index: int, turns: int, pause: bool) -> None:
    rng = random.Random(index)
    try:
        created = await http.post("/api/chat/conversations", json={"language": "nl"})
        created.raise_for_status()
    except httpx.HTTPError as error:
        run.errors.append(f"open: {error!r}")
        return
    conversation = created.json()["conversation_id"]
    run.sent[conversation] = 0
    if pause:
        await asyncio.sleep(rng.uniform(0, 2))  # citizens do not all open the chat in the same second
    for turn in range(turns):
        question = QUESTIONS[(index + turn) % len(QUESTIONS)]
        key = uuid.uuid4().hex
        started = time.perf_counter()
        run.turns_sent += 1
        run.sent[conversation] += 1
        for _attempt in range(MAX_ATTEMPTS):
            try:
                response = await http.post(
                    f"/api/chat/conversations/{conversation}/messages",
                    json={"text": question},
                    headers={"Idempotency-Key": key},
                )
            except httpx.TransportError:
                # Like the page: a failed connection is retried under the same key (counted).
                run.reconnects += 1
                await asyncio.sleep(1)
                continue
            if response.status_code == 429:
                run.busy += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code == 200:
                run.latencies_s.append(time.perf_counter() - started)
                (run.later_turn_latencies_s if turn else run.first_turn_latencies_s).append(run.latencies_s[-1])
            else:
                run.errors.append(f"HTTP {response.status_code}: {response.text[:100]}")
            break
        else:
            run.errors.append("still busy after every retry")
        if pause:
            await asyncio.sleep(rng.uniform(2, 5))


async def count_lost(http: httpx.AsyncClient, run: Run) -> int:
    """Messages not stored exactly once with at least one answer after them."""
    lost = 0
    for conversation, sent in run.sent.items():
        stored = (await http.get(f"/api/chat/conversations/{conversation}/messages")).json()
        citizen = [i for i, m in enumerate(stored) if m["author"] == "citizen"]
        answered = sum(1 for i in citizen if i + 1 < len(stored) and stored[i + 1]["author"] == "bot")
        lost += max(0, sent - answered) + max(0, len(citizen) - sent)
    return lost


async def load(url: str, conversations: int, turns: int, mode: str) -> Run:
    run = Run(conversations=conversations, mode=mode)
    # One client per citizen, as each citizen has a browser of their own. One client shared by
    # hundreds of connections cost the generator 11-13 ms of CPU per turn at 100-200
    # conversations (httpx scans its whole pool on every request), CPU taken from the server on
    # the same cores; made before the clock starts, sharing one TLS context (a context of its own
    # costs a client ~20 ms of CPU and ~2 MB).
    tls = ssl.create_default_context()
    browsers = [httpx.AsyncClient(base_url=url, timeout=120, verify=tls) for _ in range(conversations)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(citizen(browser, run, i, turns, mode == "pause") for i, browser in enumerate(browsers)))
        run.wall_s = time.perf_counter() - started
        run.lost = await count_lost(browsers[0], run)
    finally:
        await asyncio.gather(*(browser.aclose() for browser in browsers))
    return run


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def stack_processes(api_port: int, rasa_port: int) -> dict[str, psutil.Process]:
    """The api and Rasa processes of the stack this benchmark started, found by their ports."""
    found = {}
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "uvicorn" in command and f"--port {api_port}" in command:
            found["api"] = process
        elif "bot.rasa_server" in command and f"--port {rasa_port}" in command:
            found["rasa"] = process
    return found


def report(runs: list[Run], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([run.summary() for run in runs], indent=2))
        return
    print(f"{'conv':>5} {'mode':>8} {'turns':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'errors':>6} {'busy':>5} {'recon':>5} {'lost':>5} {'turns/s':>8}")  # fmt: skip
    for run in runs:
        s = run.summary()
        print(f"{s['conversations']:>5} {s['mode']:>8} {s['turns']:>6} {s['p50_ms']:>7} {s['p95_ms']:>7} "
              f"{s['p99_ms']:>7} {s['errors']:>6} {s['busy']:>5} {s['reconnects']:>5} {s['lost']:>5} "
              f"{s['turns_per_s']:>8}")  # fmt: skip
        if run.errors:
            print(f"      e.g. {run.errors[:2]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="10,20,50,100,200", help="concurrent conversations, comma-separated")
    parser.add_argument("--turns", type=int, default=5, help="turns per conversation")
    parser.add_argument("--modes", default="nopause,pause", help="nopause and/or pause (2-5 s between turns)")
    parser.add_argument("--url", help="a running Loket (else one is started on free ports)")
    parser.add_argument("--replicas", type=int, default=0, help="N api + N Rasa behind HAProxy (PostgreSQL, Redis)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    modes = args.modes.split(",")

    def measure(url: str, processes: dict[str, psutil.Process] | None = None) -> list[Run]:
        # The load generator shares the machine's cores: its own CPU is reported too.
        processes = {**(processes or {}), "generator": psutil.Process()}
        # One turn first: loads what loads on first use (models, caches).
        asyncio.run(load(url, 1, 1, "nopause"))
        runs = []
        for mode in modes:
            for level in levels:
                before = {name: cpu_seconds(p) for name, p in processes.items()}
                run = asyncio.run(load(url, level, args.turns, mode))
                summary = run.summary()
                for name, process in processes.items():
                    turns = max(1, len(run.latencies_s))
                    summary[f"{name}_cpu_ms_per_turn"] = round((cpu_seconds(process) - before[name]) / turns * 1000, 1)
                    summary[f"{name}_rss_mb"] = round(process.memory_info().rss / 2**20)
                print(json.dumps(summary), file=sys.stderr)
                runs.append(run)
        return runs

    if args.url:
        runs = measure(args.url)
    elif args.replicas:
        with running_replicas(
            apis=args.replicas,
            rasas=args.replicas,
            postgres_admin_url=os.environ.get(
                "LOKET_BENCH_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres"
            ),
            redis_url=os.environ.get("LOKET_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        ) as settings:
            runs = measure(settings.api_url)
    else:
        with running_loket() as settings:
            runs = measure(settings.api_url, stack_processes(settings.api_port, settings.rasa_port))
    report(runs, as_json=args.json)


if __name__ == "__main__":
    main()
