"""Out-of-scope messages through the real stack: how many start a form, create a case or get routed.

    .venv/bin/python bench/out_of_scope.py [--limit N] [--show-failures]

Sends every message of two sets as the first message of a new conversation, through the
chat gateway, Rasa and the actions (the real stack on free ports):
  * the 200 English CLINC150 out-of-scope utterances (../shared/data/clinc150/oos_train_val.json),
  * the Dutch set data/eval/out_of_scope_nl.txt (written for Loket, not used in training).
Afterwards it reads what happened from the databases: a form started (Rasa's tracker has an
active_loop event for report_form/complaint_form), a case created (an escalation row), routed
to a team (an escalation with a team). The bar: at most 3% of each set does any of these.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack_helper import ROOT, running_loket  # noqa: E402

CLINC = ROOT.parent / "shared" / "data" / "clinc150" / "oos_train_val.json"
DUTCH = ROOT / "data" / "eval" / "out_of_scope_nl.txt"
FORMS = ("report_form", "complaint_form")


def load_sets(limit: int | None) -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    if CLINC.exists():
        data = json.loads(CLINC.read_text())
        sets["clinc150 (en)"] = [text for part in ("oos_train", "oos_val") for text, _ in data[part]]
    else:
        print(f"skipping CLINC150: {CLINC} is absent", file=sys.stderr)
    lines = DUTCH.read_text(encoding="utf-8").splitlines()
    sets["loket (nl)"] = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {name: texts[:limit] if limit else texts for name, texts in sets.items()}


def outcome(data_dir: Path, conversation: str) -> dict[str, object]:
    with sqlite3.connect(data_dir / "loket.db") as db:
        cases = db.execute("SELECT reason, team FROM escalations WHERE conversation_id = ?", (conversation,)).fetchall()
    with sqlite3.connect(data_dir / "rasa_tracker.db") as db:
        rows = db.execute(
            "SELECT type_name, intent_name, action_name, data FROM events WHERE sender_id = ?",
            (conversation,),
        ).fetchall()
    intents = [intent for kind, intent, _, _ in rows if kind == "user" and intent]
    loops = [json.loads(data).get("name") for kind, _, _, data in rows if kind == "active_loop"]
    return {
        "intent": intents[-1] if intents else None,
        "form": any(loop in FORMS for loop in loops),
        "case": bool(cases),
        "routed": any(team for _, team in cases),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="at most this many messages per set")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    sets = load_sets(args.limit)
    with running_loket() as settings, httpx.Client(base_url=settings.api_url, timeout=60) as client:
        for name, texts in sets.items():
            bad: list[tuple[str, dict[str, object]]] = []
            intents: Counter[str] = Counter()
            for text in texts:
                conversation = client.post("/api/chat/conversations", json={}).json()["conversation_id"]
                client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": text}).raise_for_status()
                result = outcome(settings.data_dir, conversation)
                intents[str(result["intent"])] += 1
                if result["form"] or result["case"] or result["routed"]:
                    bad.append((text, result))
            share = len(bad) / len(texts)
            print(f"{name}: {len(bad)} of {len(texts)} ({share:.1%}) started a form, created a case "
                  "or were routed; "
                  f"intents: {dict(intents.most_common())}")  # fmt: skip
            if args.show_failures:
                for text, result in bad:
                    print(f"    {text!r}: {result}")


if __name__ == "__main__":
    main()
