"""Latency of a staff question (POST /api/staff/ask), a new question and a follow-up.

    .venv/bin/python bench/staff_ask_latency.py [--rounds 3]

Starts the real stack on free ports (as bench/turn_latency.py does), creates a staff member of
every team with the operators' CLI, logs in, and asks the questions below one after the other,
each followed by a follow-up that sends the earlier question along (`history`). Prints p50/p95
of the time the page waits for each kind, after one warm-up round.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack_helper import running_loket  # noqa: E402
from turn_latency import percentile  # noqa: E402

TEAMS = [
    "burgerzaken", "belastingen", "afval", "openbare_ruimte", "parkeren", "vergunningen",
    "zorg_welzijn", "werk_inkomen", "handhaving", "wonen", "klachten_bezwaar", "klantcontact",
]  # fmt: skip
# Questions about the internal policies and public pages, each with a follow-up.
QUESTIONS = [
    ("Hoe lang is een urgentieverklaring geldig?", "en de termijn?"),
    ("Hoeveel punten zijn nodig voor woonurgentie?", "en bij huiselijk geweld?"),
    ("Tot hoe laat kan ik een spoedaanvraag paspoort autoriseren?", "en voor een identiteitskaart?"),
    ("Welke vrijlating geldt bij kwijtschelding?", "en voor een auto?"),
    ("Wanneer leg ik een huisbezoek bij bijstand af?", "en de voorbereiding?"),
    ("Binnen welke termijn moet een klacht behandeld zijn?", "en de vergoeding?"),
    ("Wat kost een paspoort?", "en voor een kind?"),
    ("Hoe maak ik bezwaar tegen mijn WOZ-waarde?", "en hoe lang duurt dat?"),
]
PASSWORD = "bench password 123"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds over the questions")
    args = parser.parse_args()
    with running_loket() as settings:
        env = {**os.environ, "LOKET_DATA_DIR": str(settings.data_dir)}
        command = [sys.executable, "-m", "api.operations.cli", "users", "create", "bench", "--password-stdin",
                   "--role=staff", *[f"--team={team}" for team in TEAMS]]  # fmt: skip
        subprocess.run(command, input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
        with httpx.Client(base_url=settings.api_url, timeout=60) as client:
            client.post("/api/auth/login", json={"username": "bench", "password": PASSWORD}).raise_for_status()
            times: dict[str, list[float]] = {"question": [], "follow-up": []}
            for round_ in range(args.rounds + 1):
                for question, follow_up in QUESTIONS:
                    for kind, body in (
                        ("question", {"question": question}),
                        ("follow-up", {"question": follow_up, "history": [question]}),
                    ):
                        start = time.perf_counter()
                        client.post("/api/staff/ask", json=body).raise_for_status()
                        if round_ > 0:  # the first round warms up
                            times[kind].append((time.perf_counter() - start) * 1000)
    for kind, values in times.items():
        print(f"{kind:10} n={len(values)}  p50 {percentile(values, 0.5):.0f} ms  p95 {percentile(values, 0.95):.0f} ms")


if __name__ == "__main__":
    main()
