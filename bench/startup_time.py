"""Time from `git clone` to a working chat page, and the second start, with `make run`.

    python3 bench/startup_time.py [--repo PATH] [--workdir DIR] [--api-port 8600 --rasa-port 5600]

Clones the repository into a new folder, runs `make run` there and waits until the chat
page answers and a Dutch question gets an answer; stops it with Ctrl-C (SIGINT), then
starts it again with nothing changed and times that too. Prints both figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def wait_for_chat(api: str, deadline_s: float) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2):
                pass
            request = urllib.request.Request(f"{api}/api/chat/conversations", data=b"{}", method="POST",
                                             headers={"Content-Type": "application/json"})  # fmt: skip
            conversation = json.load(urllib.request.urlopen(request, timeout=10))["conversation_id"]
            body = json.dumps({"text": "Wat kost een paspoort?"}).encode()
            request = urllib.request.Request(f"{api}/api/chat/conversations/{conversation}/messages", data=body,
                                             method="POST", headers={"Content-Type": "application/json"})  # fmt: skip
            turn = json.load(urllib.request.urlopen(request, timeout=60))
            if any(m["author"] == "bot" for m in turn["messages"]):
                return
        except (OSError, ValueError):
            pass
        time.sleep(1)
    raise TimeoutError("the chat page did not answer in time")


def timed_start(checkout: Path, env: dict[str, str], api: str, log: Path) -> float:
    started = time.monotonic()
    with log.open("ab") as output:
        process = subprocess.Popen(["make", "run"], cwd=checkout, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            wait_for_chat(api, deadline_s=3600)
            elapsed = time.monotonic() - started
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=120)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--api-port", type=int, default=8600)
    parser.add_argument("--rasa-port", type=int, default=5600)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="loket-startup-"))
    checkout = workdir / "loket"
    env = dict(os.environ, LOKET_API_PORT=str(args.api_port), LOKET_RASA_PORT=str(args.rasa_port))
    api = f"http://127.0.0.1:{args.api_port}"
    log = workdir / "make-run.log"

    started = time.monotonic()
    subprocess.run(["git", "clone", "--quiet", args.repo, str(checkout)], check=True)
    timed_start(checkout, env, api, log)
    first = time.monotonic() - started  # clone + environments + index + training + start
    second = timed_start(checkout, env, api, log)
    print(f"clone to answered chat: {first:.0f} s")
    print(f"second start (nothing changed): {second:.0f} s")
    print(f"log: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
