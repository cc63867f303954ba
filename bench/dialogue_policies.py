"""Which Rasa policy decided each action of the conversations of an answers set.

    .venv/bin/python bench/dialogue_policies.py [--set data/eval/answers_dev.jsonl]

Runs every case through the real chat path (the same stack as `loket eval answers`), then reads
each conversation's tracker from Rasa and counts the `policy` of its action events. config.yml
relies on the rules deciding every turn (there is no learned dialogue policy): any count under
other policy than RulePolicy (or `followup_action`, an action another one asked for), and any
core fallback, is a turn the rules did not cover. Actions without a policy are Rasa's own (the
session start and the listen after it).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.operations.answer_eval import load_cases, run_cases, running_stack  # noqa: E402
from api.settings import PROJECT_ROOT, Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default=str(PROJECT_ROOT / "data" / "eval" / "answers_dev.jsonl"))
    args = parser.parse_args()
    cases = load_cases(args.set)
    policies: collections.Counter[str] = collections.Counter()
    fallbacks = 0
    with running_stack(Settings(), echo=lambda message: print(message, file=sys.stderr)) as driver:
        for result in run_cases(cases, driver):
            if not result.conversation_id:
                continue
            for event in driver.tracker(result.conversation_id)["events"]:
                if event["event"] == "action":
                    # "followup_action": the action before asked for this one (a FollowupAction).
                    policies[event.get("policy") or "none"] += 1
                    fallbacks += event["name"] == "action_default_fallback"
    print(f"{len(cases)} cases of {Path(args.set).name}; actions by deciding policy:")
    for policy, count in policies.most_common():
        print(f"  {policy:<20} {count}")
    print(f"  action_default_fallback: {fallbacks}")


if __name__ == "__main__":
    main()
