"""`loket`: the operators' command line.

  loket run                      build/train what is stale, start Rasa and the api, print the URL
  loket train                    train the Rasa model if its inputs changed
  loket ingest [PATH ...]        (re)build the knowledge index (default: the configured policy folders)
  loket search "question" [--json] [-k 5] [--role ROLE] [--team TEAM]
  loket route "message" [--json]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from api.settings import Settings, get_settings


def _echo(message: str) -> None:
    print(message, flush=True)


def cmd_train(settings: Settings, _args: argparse.Namespace) -> int:
    from api.services.rasa_model import ensure_model

    ensure_model(settings, echo=_echo)
    return 0


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    from api.services.knowledge_service import ensure_index

    paths = [Path(p) for p in args.paths] or settings.policies_dirs
    report = ensure_index(settings, paths=paths, echo=_echo, force=bool(args.paths) or args.force)
    return 1 if report.failed else 0


def _reader(args: argparse.Namespace) -> Any:
    from knowledge.types import Reader

    roles = set(args.role or [])
    teams = set(args.team or [])
    if not roles and not teams:
        return Reader.public()
    return Reader(roles=frozenset(roles or {"staff"}), teams=frozenset(teams))


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    from api.services.knowledge_service import open_knowledge

    result = open_knowledge(settings).search.search(args.question, reader=_reader(args), k=args.k)
    hits = [asdict(hit) for hit in result.hits]
    if args.json:
        print(json.dumps({"relevant": result.relevant, "hits": hits}, ensure_ascii=False, indent=2))
    elif not result.relevant:
        print("Nothing relevant enough.")
    else:
        for rank, hit in enumerate(result.hits, 1):
            print(f"{rank}. {hit.title} › {hit.section}  [{hit.score:.3f}]  {hit.url}")
            print(f"   {hit.passage[:200]}")
    return 0


def cmd_route(settings: Settings, args: argparse.Namespace) -> int:
    from api.services.knowledge_service import open_knowledge
    from api.services.routing import route_by_knowledge

    decision = route_by_knowledge(args.message, search=open_knowledge(settings).search)
    if args.json:
        print(json.dumps(asdict(decision), ensure_ascii=False, indent=2))
    else:
        print(f"{decision.team or 'null'} ({decision.confidence:.2f}): {decision.explanation}")
    return 0


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    from api.services.knowledge_service import ensure_index
    from api.services.rasa_model import ensure_model
    from api.services.stack import start_stack

    started = time.monotonic()
    _echo("[1/3] Knowledge index")
    if ensure_index(settings, paths=settings.policies_dirs, echo=_echo).failed:
        _echo("Some documents could not be read (see above); they are left out.")
    _echo("[2/3] Rasa model")
    model = ensure_model(settings, echo=_echo)
    _echo("[3/3] Starting Rasa and the api")
    stack = start_stack(settings, model=model, echo=_echo)
    _echo(f"\nLoket is running ({time.monotonic() - started:.0f} s). Citizen chat: {settings.api_url}/")
    _echo(f"Logs: {settings.data_dir / 'logs'}. Press Ctrl-C to stop.")
    stopping = False

    def _stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            for process in (stack.api, stack.rasa):
                assert process.process is not None
                if process.process.poll() is not None:
                    _echo(f"{process.name} stopped unexpectedly; see {process.log_path}")
                    return 1
            time.sleep(0.5)
    finally:
        _echo("Stopping Rasa and the api ...")
        stack.stop()
        _echo("Stopped.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loket", description="Loket operators' command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start Loket (trains/builds what is stale)").set_defaults(func=cmd_run)
    sub.add_parser("train", help="train the Rasa model if its inputs changed").set_defaults(func=cmd_train)
    ingest = sub.add_parser("ingest", help="build the knowledge index from documents")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: the configured policy folders)")
    ingest.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    ingest.set_defaults(func=cmd_ingest)
    search = sub.add_parser("search", help="search the knowledge index")
    search.add_argument("question")
    search.add_argument("--json", action="store_true")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--role", action="append", help="reader role (repeatable)")
    search.add_argument("--team", action="append", help="reader team (repeatable)")
    search.set_defaults(func=cmd_search)
    route = sub.add_parser("route", help="which team a citizen message belongs to")
    route.add_argument("message")
    route.add_argument("--json", action="store_true")
    route.set_defaults(func=cmd_route)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(get_settings(), args))
    except RuntimeError as error:
        print(f"loket: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
