"""Turn latency through the chat gateway, Rasa and the actions, with concurrent conversations.

    .venv/bin/python bench/turn_latency.py [--conversations 20] [--turns 10] [--warmup 2]

Starts the real stack on free ports (api.operations.stack.start_stack, as the integration
tests do), then runs N conversations at once; each asks knowledge questions one after the
other (a knowledge-answer turn: gateway -> Rasa NLU/policies -> /webhook -> knowledge search
-> reply). Prints p50/p95/p99/max of the turn time the citizen sees (the POST of a message),
after discarding each conversation's warm-up turns.

--think-time S: each conversation waits a random 0.5*S..1.5*S seconds between turns (a
citizen reads and types), and starts at a random moment within the first S seconds (citizens
do not all open the chat in the same second; without it the first turns of all conversations
arrive together, every time); 0 (the default) sends the next turn as soon as the reply is
there and starts all at once, which measures the server saturated: latency then is mostly
queueing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack_helper import running_loket  # noqa: E402

QUESTIONS = [
    "Wat kost een paspoort?",
    "Hoe geef ik mijn verhuizing door?",
    "Wanneer wordt het grofvuil opgehaald?",
    "Hoe vraag ik een bewonersvergunning voor parkeren aan?",
    "Kan ik kwijtschelding krijgen voor de gemeentelijke belastingen?",
    "Hoe maak ik bezwaar tegen mijn WOZ-waarde?",
    "How do I apply for a resident parking permit?",
    "What are the opening hours of the town hall?",
    "Hoe lang duurt het aanvragen van een VOG?",
    "Ik wil een dakkapel bouwen, heb ik een vergunning nodig?",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def conversation(
    api: str, turns: int, warmup: int, offset: int, out: list[float], errors: list[str], think_s: float = 0.0
) -> None:
    pause = random.Random(offset)
    if think_s:
        time.sleep(think_s * pause.random())
    with httpx.Client(base_url=api, timeout=60) as client:
        conversation_id = client.post("/api/chat/conversations", json={}).json()["conversation_id"]
        for turn in range(warmup + turns):
            question = QUESTIONS[(offset + turn) % len(QUESTIONS)]
            started = time.perf_counter()
            response = client.post(f"/api/chat/conversations/{conversation_id}/messages", json={"text": question})
            elapsed = time.perf_counter() - started
            bot = [m for m in response.json().get("messages", []) if m["author"] == "bot"]
            if response.status_code != 200 or not any(m["sources"] for m in bot):
                errors.append(f"{question!r}: {response.status_code} {bot[:1]}")
            if turn >= warmup:
                out.append(elapsed)
            if think_s:
                time.sleep(think_s * (0.5 + pause.random()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--think-time", type=float, default=0.0, help="seconds between a conversation's turns")
    args = parser.parse_args()
    with running_loket() as settings:
        # One sequential turn first: loads what loads on first use.
        conversation(settings.api_url, 1, 0, 0, [], [])
        times: list[float] = []
        errors: list[str] = []
        threads = [
            threading.Thread(
                target=conversation,
                args=(settings.api_url, args.turns, args.warmup, i, times, errors, args.think_time),
            )
            for i in range(args.conversations)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    ms = [t * 1000 for t in times]
    print(f"{args.conversations} concurrent conversations x {args.turns} knowledge-answer turns, "
          f"think time {args.think_time:g} s "
          f"({len(ms)} measured, {args.warmup} warm-up turns each discarded), {wall:.1f} s wall")  # fmt: skip
    print(f"turn latency ms: p50 {statistics.median(ms):.0f}  p95 {percentile(ms, 0.95):.0f}  "
          f"p99 {percentile(ms, 0.99):.0f}  max {max(ms):.0f}  ({len(ms) / wall:.1f} turns/s)")  # fmt: skip
    if errors:
        print(f"{len(errors)} turns without a sourced answer, e.g. {errors[:3]}")


if __name__ == "__main__":
    main()
