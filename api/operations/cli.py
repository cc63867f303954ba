"""`loket`: the operators' command line.

loket run                      build/train what is stale, start Rasa and the api, print the URL
loket train                    train the Rasa model if its inputs changed
loket ingest [PATH ...]        (re)build the knowledge index (default: the configured policy folders)
loket search "question" [--json] [-k 5] [--role ROLE] [--team TEAM]
loket route "message" [--json] [--context EARLIER ...] [--intent INTENT]
loket topics [--json]          which municipal topics the documents cover (data/answers/municipal_topics.yml)
loket eval routing [--set FILE] [--tune] [--json]
loket eval retrieval [--set FILE] [--json] [--index-dir DIR] [--sources YAML ...] [--fit]   (--fit: statutes dev split)
loket eval answers [--set FILE] [--json] [--show-misses] [--fit]   (--fit: the dev split only)
loket eval pii [--set FILE] [--json] [--show-misses]
loket eval nlu [--set FILE] [--json] [--show-misses]   the trained NLU's intents (default: the held-out split)
loket users create NAME --role moderator [--team T] [--password-stdin]
loket users list
loket users disable|enable|revoke NAME      a leaver; back again; end all sessions and API tokens
loket users reset-password NAME [--password-stdin]
loket retention run [--dry-run] [--json]   remove what is past its retention period, from every store
loket erase --conversation ID | --case NUMBER          erase one conversation from every store (AVG art. 17)
loket export --conversation ID | --case NUMBER [--output FILE]   one conversation as JSON (AVG art. 15)
loket switch show | off|on chat|answers|forms [--reason TEXT]   the citizen chat's kill switches (audited)
loket db upgrade | current     migrate the api's database to the newest revision; show its revision
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

from api.settings import PROJECT_ROOT, Settings, get_settings


def _echo(message: str) -> None:
    print(message, flush=True)


def cmd_train(settings: Settings, _args: argparse.Namespace) -> int:
    from api.operations.rasa_model import ensure_model

    ensure_model(settings, echo=_echo)
    return 0


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    from api.services.knowledge_service import ensure_index
    from knowledge.progress import TqdmProgress

    paths = [Path(p) for p in args.paths] or settings.policies_dirs
    bars = TqdmProgress(disable=True if args.no_progress else None)  # bars on a terminal only
    try:
        report = ensure_index(settings, paths=paths, echo=bars.echo(_echo), force=bool(args.paths) or args.force)
    finally:
        bars.close()
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


def cmd_topics(settings: Settings, args: argparse.Namespace) -> int:
    """The municipal topics against the index's titles and headings, as the answer engine counts
    them: covered (with the title or heading that names it), or not (a question naming it is
    evidence against answering)."""
    from api.services.citizen_answers import TOPICS_FILE
    from knowledge.index import load_index
    from knowledge.topics import TopicCatalogue, titles_and_headings

    path = settings.answers_dir / TOPICS_FILE
    if not path.exists():
        print(f"loket: no topic catalogue at {path}", file=sys.stderr)
        return 1
    try:
        index = load_index(settings.index_dir)  # the titles and headings only: no model to load
    except (FileNotFoundError, ValueError):
        print(f"loket: No knowledge index in {settings.index_dir}: run `loket ingest`.", file=sys.stderr)
        return 1
    catalogue = TopicCatalogue.from_yaml(path)
    texts = sorted(titles_and_headings(index.chunks))
    covered = catalogue.named_by(texts)
    uncovered = [topic.id for topic in catalogue.topics if topic.id not in covered]
    if args.json:
        print(json.dumps({"covered": covered, "uncovered": uncovered}, ensure_ascii=False, indent=2))
        return 0
    print(f"{len(catalogue.topics)} topics in {path.name}, against {len(texts)} titles and headings")
    print(f"covered ({len(covered)}):")
    for topic_id, text in covered.items():
        print(f"  {topic_id}: {text}")
    print(f"not covered ({len(uncovered)}): {', '.join(uncovered)}")
    return 0


def cmd_route(settings: Settings, args: argparse.Namespace) -> int:
    from api.services.knowledge_service import open_knowledge
    from api.services.routing_service import open_router

    router = open_router(settings, search=open_knowledge(settings).search, cached_queries=True)
    decision = router.route(args.message, conversation=args.context or None, intent=args.intent, language=args.language)
    if args.json:
        print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
    else:
        label = decision.team or ("triage" if decision.unsure else "null")
        print(f"{label} [{decision.status}] ({decision.confidence:.2f}): {decision.explanation}")
    return 0


RETRIEVAL_SET = Path("data/eval/retrieval_nl_en.jsonl")
STATUTES_SET = Path("data/eval/statutes_test.jsonl")  # held out, to report on; statutes_dev.jsonl was used for tuning


def cmd_eval_retrieval(settings: Settings, args: argparse.Namespace) -> int:
    """`loket eval retrieval`: recall@1/@5 and MRR of the knowledge search on a labelled set.

    The statute sets (data/eval/statutes_test.jsonl, the held-out split to report on;
    statutes_dev.jsonl, the split used for tuning; or --sources) run on their own index of the
    regelrecht YAML in --index-dir (default var/index-statutes), built here when missing.
    """
    from knowledge.evaluation import STATUTE_TARGETS, TARGETS, evaluate, load_questions
    from knowledge.search import KnowledgeSearch

    set_path = Path(args.set) if args.set else PROJECT_ROOT / RETRIEVAL_SET
    statutes = set_path.name.startswith("statutes") or bool(args.sources)
    index_dir = Path(args.index_dir) if args.index_dir else (
        settings.data_dir / "index-statutes" if statutes else settings.index_dir
    )  # fmt: skip
    if args.fit and (not statutes or set_path.resolve() == (PROJECT_ROOT / STATUTES_SET).resolve()):
        print("loket: --fit fits the statute ranker on the dev split: --set data/eval/statutes_dev.jsonl",
              file=sys.stderr)  # fmt: skip
        return 2
    if statutes:
        from knowledge.embedding import DEFAULT_EMBEDDER, make_embedder
        from knowledge.index import build_index
        from knowledge.ingest import load_documents
        from knowledge.progress import TqdmProgress

        sources = [Path(p) for p in args.sources] if args.sources else sorted(
            (PROJECT_ROOT.parent / "shared" / "data" / "regelrecht").glob("*.yaml")
        )  # fmt: skip
        if not sources:
            print("loket: no statute YAML found (../shared/data/regelrecht); pass --sources", file=sys.stderr)
            return 2
        loaded = load_documents(sources)
        for error in loaded.errors:
            _echo(f"  skipped {error.path}: {error.reason}")
        _echo(f"Statute index in {index_dir}: {len(loaded.documents)} articles (only changed ones are embedded) ...")
        bars = TqdmProgress()
        report = build_index(
            loaded.documents, embedder=make_embedder(settings.embedder or DEFAULT_EMBEDDER), index_dir=index_dir,
            progress=bars if not bars.disable else None, sentences=False,
        )  # fmt: skip
        bars.close()
        _echo(f"  {report.chunks} chunks ({report.chunks_embedded} embedded, {report.chunks_reused} reused)")
    if statutes:
        from api.services.knowledge_service import LEGAL_SYNONYMS, STATUTE_EXAMPLES, STATUTE_RANKER
        from knowledge.statute_search import StatuteSearch

        if args.fit:
            return _fit_statute_ranker(settings, index_dir, set_path)
        # As the staff workspace searches them (api/services/knowledge_service.open_statutes).
        search: KnowledgeSearch = StatuteSearch.open(
            index_dir, glossary=settings.search_glossary, synonyms=LEGAL_SYNONYMS, ranker=STATUTE_RANKER,
            examples=STATUTE_EXAMPLES,
        )  # fmt: skip
    else:
        search = KnowledgeSearch.open(index_dir, glossary=settings.search_glossary, synonyms=settings.search_synonyms)
    search.warm_up()
    questions = load_questions(set_path)

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            print(f"  {done}/{total}", file=sys.stderr, flush=True)

    targets = STATUTE_TARGETS if statutes else TARGETS
    result = evaluate(search, questions, name=str(set_path.name), progress=progress, targets=targets)
    if args.json:
        print(json.dumps(result.summary(), indent=2, ensure_ascii=False))
    else:
        print(result.format(show_errors=not args.quiet))
    return 0 if result.meets_targets() else 1


def _fit_statute_ranker(settings: Settings, index_dir: Path, set_path: Path) -> int:
    """`loket eval retrieval --set data/eval/statutes_dev.jsonl --fit`: fit the statute search's
    article ranker on the dev split; prints 5-fold cross-validated figures, writes the model
    fitted on the whole split to data/search/statute_ranker.yml."""
    from api.services.knowledge_service import LEGAL_SYNONYMS, STATUTE_EXAMPLES, STATUTE_RANKER
    from knowledge.evaluation import load_questions
    from knowledge.statute_search import StatuteSearch, cross_validated_ranks, fit_ranker, rank_of_right, write_ranker

    search = StatuteSearch.open(
        index_dir, glossary=settings.search_glossary, synonyms=LEGAL_SYNONYMS, ranker=None, examples=STATUTE_EXAMPLES
    )
    search.warm_up()
    questions = load_questions(set_path)
    groups = [search.ranking_group(q.question, set(q.expected), reader=q.reader) for q in questions]

    def figures(ranks: list[int | None]) -> str:
        n = len(ranks) or 1
        r1 = sum(r == 1 for r in ranks) / n
        r5 = sum(r is not None and r <= 5 for r in ranks) / n
        mrr = sum(1 / r for r in ranks if r) / n
        return f"R@1 {r1:.3f}  R@5 {r5:.3f}  MRR {mrr:.3f}"

    print(f"{len(groups)} questions from {set_path.name} (article ranks among the candidates, no pinning)")
    print(f"  fused order        {figures([rank_of_right(None, g) for g in groups])}")
    cross = figures(cross_validated_ranks(groups))
    print(f"  ranker, 5-fold CV  {cross}")
    model = fit_ranker(groups)
    note = f"{set_path.name}, {len(groups)} questions; 5-fold CV: {cross}"
    write_ranker(STATUTE_RANKER, search.embedder.name, model, note=note)
    print(f"wrote {STATUTE_RANKER}: {model.to_json()}")
    return 0


def cmd_eval_answers(settings: Settings, args: argparse.Namespace) -> int:
    """`loket eval answers`: the real chat path (api + Rasa) on a labelled set of questions."""
    from api.operations.answer_eval import (
        TEST_SET,
        AnswerSetError,
        check_set,
        load_cases,
        progress_printer,
        run_answer_eval,
    )

    if args.fit:
        return cmd_fit_answers(settings, args)
    set_path = Path(args.set) if args.set else TEST_SET
    try:
        cases = load_cases(set_path)
    except AnswerSetError as error:
        print(f"loket: {error}", file=sys.stderr)
        return 2
    problems = check_set(cases, settings, name=str(set_path))
    if problems:
        print("loket: the set expects pages or sections the policy documents do not have:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(f"{len(cases)} cases from {set_path}; starting Rasa and the api ...", file=sys.stderr, flush=True)
    report = run_answer_eval(cases, settings=settings, name=set_path.name, progress=progress_printer())
    if args.json:
        print(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    else:
        print(report.format(show_misses=args.show_misses))
    return 1 if report.errors else 0


def cmd_fit_answers(settings: Settings, args: argparse.Namespace) -> int:
    """`loket eval answers --fit`: fit the answer engine on the dev split (never the test split)."""
    from api.operations.answer_eval import DEV_SET, TEST_SET, load_cases, running_stack
    from api.operations.answer_fitting import fit, write_models
    from api.services.citizen_answers import MODEL_FILE, CitizenAnswers
    from api.services.knowledge_service import open_knowledge

    set_path = Path(args.set) if args.set else DEV_SET
    if set_path.resolve() == TEST_SET.resolve():
        print("loket: the test split is for reporting only; fit on the dev split.", file=sys.stderr)
        return 2
    cases = load_cases(set_path)
    questions = {(turn.question, case.lang) for case in cases for turn in case.turns}
    print(f"Reading the NLU's intent for {len(questions)} messages ...", file=sys.stderr, flush=True)
    with running_stack(settings, echo=lambda line: print(line, file=sys.stderr)) as driver:
        intents = {text: driver.parse(text, language=language)[0] for text, language in sorted(questions)}
    search = open_knowledge(settings).search
    answers = CitizenAnswers.open(search, answers_dir=settings.answers_dir)
    report = fit(answers, cases, intents, echo=_echo)
    path = settings.answers_dir / MODEL_FILE
    write_models(path, embedder=search.embedder.name, report=report, source=set_path.name, cases=len(cases))
    # No accuracy here: figures on the set the models were fitted on say little; run
    # `loket eval answers` (the test split) for those.
    _echo(f"Wrote {path}: thresholds per intent {report.thresholds}")
    return 0


def cmd_eval_pii(_settings: Settings, args: argparse.Namespace) -> int:
    """`loket eval pii`: recall per kind and false redactions of the gateway's redaction."""
    from api.operations.personal_data_eval import DEFAULT_SET, PiiSetError, evaluate, load_messages

    set_path = Path(args.set) if args.set else DEFAULT_SET
    try:
        messages = load_messages(set_path)
    except (OSError, PiiSetError) as error:
        print(f"loket: {error}", file=sys.stderr)
        return 2
    report = evaluate(messages, name=set_path.name)
    if args.json:
        print(json.dumps(report.summary(), indent=2))
    else:
        print(report.format(show_misses=args.show_misses))
    return 0 if report.meets_targets() else 1


def cmd_eval_nlu(settings: Settings, args: argparse.Namespace) -> int:
    """`loket eval nlu`: macro intent F1 (all, per language) and per intent of the trained NLU."""
    from api.operations.nlu_eval import TEST_SET, NluSetError, evaluate_set
    from api.operations.rasa_model import ensure_model

    set_path = Path(args.set) if args.set else TEST_SET
    if not set_path.is_file():
        print(f"loket: {set_path} does not exist", file=sys.stderr)
        return 2
    model = ensure_model(settings, echo=lambda line: print(line, file=sys.stderr))
    print(f"Parsing {set_path} with {model.name} in the Rasa environment ...", file=sys.stderr, flush=True)

    def progress(done: int, total: int) -> None:
        if done % 100 == 0 or done == total:
            print(f"  {done}/{total}", file=sys.stderr, flush=True)

    try:
        report = evaluate_set(set_path, model=model, settings=settings, progress=progress)
    except NluSetError as error:
        print(f"loket: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    else:
        print(report.format(show_misses=args.show_misses))
    return 0 if report.meets_targets() else 1


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    if args.component == "pii":
        return cmd_eval_pii(settings, args)
    if args.component == "nlu":
        return cmd_eval_nlu(settings, args)
    if args.component == "retrieval":
        return cmd_eval_retrieval(settings, args)
    if args.component == "answers":
        return cmd_eval_answers(settings, args)
    from api.services.knowledge_service import open_knowledge
    from api.services.routing_service import open_router
    from routing.evaluation import DEV_SET, TEST_SET, evaluate, load_examples, tune

    router = open_router(settings, search=open_knowledge(settings).search, cached_queries=True)
    # A status line, on stderr: stdout carries the report (JSON with --json).
    print(f"Embedding the team examples with {router.embedder.name} (cached after the first run) ...", file=sys.stderr)
    router.warm_up()

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            print(f"  {done}/{total}", file=sys.stderr, flush=True)

    if args.tune:
        examples = load_examples(Path(args.set) if args.set else DEV_SET)
        params, report = tune(router, examples, max_triage=args.max_triage, progress=progress)
        print(report.format(show_errors=not args.json))
        print("\nbest parameters on the development set (put them in data/routing/routing.yml):")
        print(json.dumps(params.__dict__, indent=2))
        return 0
    examples = load_examples(Path(args.set) if args.set else TEST_SET)
    report = evaluate(router, examples, progress=progress)
    if args.json:
        print(json.dumps(report.summary(), indent=2))
    else:
        print(report.format())
    return 0 if report.meets_targets() else 1


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    from api.operations.rasa_model import ensure_model
    from api.operations.stack import start_stack
    from api.services.knowledge_service import ensure_index

    started = time.monotonic()
    _echo("[1/3] Knowledge index")
    if ensure_index(settings, paths=settings.policies_dirs, echo=_echo).failed:
        _echo("Some documents could not be read (see above); they are left out.")
    _echo("[2/3] Rasa model")
    model = ensure_model(settings, echo=_echo)
    _echo("[3/3] Starting Rasa and the api")
    stack = start_stack(settings, model=model, echo=_echo)
    _echo(f"\nLoket is running ({time.monotonic() - started:.0f} s). Citizen chat: {settings.api_url}/")
    _echo(f"Logs: {settings.logs_dir}. Press Ctrl-C to stop.")
    stopping = False

    def _stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        # A process that stops on its own is started again, with growing pauses (stack.Supervisor).
        stack.supervisor(echo=_echo).run(until=lambda: stopping)
    finally:
        _echo("Stopping Rasa and the api ...")
        stack.stop()
        _echo("Stopped.")
    return 0


def _user_store(settings: Settings) -> Any:
    from datetime import timedelta

    from api.services.database import create_schema, make_engine, make_sessionmaker
    from api.services.users import UserStore
    from routing.teams import TeamDirectory

    engine = make_engine(settings.sqlalchemy_url)
    create_schema(engine)
    return UserStore(
        sessions=make_sessionmaker(engine),
        session_ttl=timedelta(hours=settings.session_ttl_hours),
        token_ttl=timedelta(days=settings.api_token_ttl_days),
        teams=TeamDirectory.load(settings.routing_dir / "teams.yml"),
    )


def _new_password(args: argparse.Namespace) -> str | None:
    """From standard input with --password-stdin, else asked twice on the terminal; None when they differ."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"Password for {args.username}: ")
    if getpass.getpass("Again: ") != password:
        print("loket: the passwords differ", file=sys.stderr)
        return None
    return password


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> int:
    from api.services.users import UserError

    password = _new_password(args)
    if password is None:
        return 2
    try:
        user = _user_store(settings).create(
            username=args.username, password=password, roles=args.role, teams=args.team or [],
            display_name=args.name, actor=_operator(),
        )  # fmt: skip
    except UserError as error:
        print(f"loket: {error}", file=sys.stderr)
        return 2
    teams = ", ".join(sorted(user.teams)) or "-"
    print(f"Created {user.username} (roles: {', '.join(sorted(user.roles))}; teams: {teams})")
    return 0


def cmd_users_list(settings: Settings, _args: argparse.Namespace) -> int:
    for user in _user_store(settings).all():
        roles, teams = ",".join(sorted(user.roles)), ",".join(sorted(user.teams))
        print(f"{user.username}\t{user.display_name}\t{roles}\t{teams}\t{'active' if user.active else 'disabled'}")
    return 0


def cmd_users_change(settings: Settings, args: argparse.Namespace) -> int:
    """`loket users disable|enable|revoke|reset-password|set NAME`, audited with the operator as actor."""
    from api.services.users import UserError

    store, actor = _user_store(settings), _operator()
    try:
        name = store.find(args.username).username  # unknown: an error before a password is asked
        if args.users_command == "disable":
            ended = store.disable(name, actor=actor)
            print(f"Disabled {name}: {ended.sessions} session(s) ended, {ended.tokens} API token(s) revoked")
        elif args.users_command == "enable":
            print(f"Enabled {store.enable(name, actor=actor).username}")
        elif args.users_command == "set":
            if args.role is None and args.team is None and not args.no_teams:
                print("loket: give --role and/or --team (or --no-teams)", file=sys.stderr)
                return 2
            teams = [] if args.no_teams else args.team
            user = store.change_access(name, roles=args.role, teams=teams, actor=actor)
            roles, teams_shown = ", ".join(sorted(user.roles)), ", ".join(sorted(user.teams)) or "-"
            print(f"{user.username}: roles {roles}; teams {teams_shown}")
        elif args.users_command == "revoke":
            ended = store.revoke_access(name, actor=actor)
            print(f"Revoked {name}'s access: {ended.sessions} session(s) ended, {ended.tokens} API token(s) revoked")
        else:
            password = _new_password(args)
            if password is None:
                return 2
            ended = store.reset_password(name, password=password, actor=actor)
            print(f"New password for {name}; {ended.sessions} session(s) ended")
    except UserError as error:
        print(f"loket: {error}", file=sys.stderr)
        return 2
    return 0


def _privacy_services(settings: Settings) -> Any:
    """The api's database and Rasa's tracker store, as retention, erasure and export reach them."""
    from types import SimpleNamespace

    from api.services.database import create_schema, make_engine, make_sessionmaker
    from api.services.rasa_tracker_store import RasaTrackerStore

    engine = make_engine(settings.sqlalchemy_url)
    create_schema(engine)
    tracker = RasaTrackerStore.open(url=settings.tracker_store_url, api_url=settings.sqlalchemy_url, api_engine=engine)
    return SimpleNamespace(engine=engine, sessions=make_sessionmaker(engine), tracker=tracker)


def _contact_vault(settings: Settings, sessions: Any) -> Any:
    """The encrypted contact details of forms, with the api's keys (api/services/contact_details.py)."""
    from api.services.contact_details import ContactVault, contact_cipher

    keys = [key.get_secret_value() for key in settings.contact_keys]
    return ContactVault(sessions=sessions, cipher=contact_cipher(keys=keys, key_file=settings.contact_key_file))


def cmd_contacts_rotate(settings: Settings, _args: argparse.Namespace) -> int:
    """`loket contacts rotate`: re-encrypt every contact detail under the first of LOKET_CONTACT_KEYS."""
    services = _privacy_services(settings)
    try:
        count = _contact_vault(settings, services.sessions).rotate()
    finally:
        services.tracker.close()
        services.engine.dispose()
    print(f"Re-encrypted {count} contact details under the first key; the other keys can now be removed.")
    return 0


def _operator() -> str:
    """Who ran the command, for the audit log."""
    import getpass

    return f"cli:{getpass.getuser()}"[:64]


def cmd_retention_run(settings: Settings, args: argparse.Namespace) -> int:
    """`loket retention run`: counts per store, never content; one run at a time (the api's own too)."""
    from api.services.retention import DataRetention, RetentionPeriods
    from api.services.retention_schedule import run_exclusively

    services = _privacy_services(settings)
    periods = RetentionPeriods.from_settings(settings)
    retention = DataRetention(
        sessions=services.sessions, tracker=services.tracker, periods=periods, logs_dir=settings.logs_dir
    )
    try:
        report = run_exclusively(retention, services.engine, redis_url=settings.redis_url, dry_run=args.dry_run)
    finally:
        services.tracker.close()
        services.engine.dispose()
    if report is None:
        print("loket: another retention run is in progress; try again later", file=sys.stderr)
        return 1
    print(json.dumps(report.summary(), indent=2) if args.json else report.format(periods))
    return 0


def _conversation_of(services: Any, args: argparse.Namespace) -> str | None:
    """The conversation named by --conversation, or that of --case; None (and a message) for an unknown case."""
    from api.services.escalations import EscalationNotFound, EscalationWorkflow

    if args.conversation:
        return str(args.conversation)
    try:
        return EscalationWorkflow(sessions=services.sessions).get(args.case).conversation_id
    except EscalationNotFound:
        print(f"loket: no case {args.case}", file=sys.stderr)
        return None


def cmd_erase(settings: Settings, args: argparse.Namespace) -> int:
    """`loket erase`: under the conversation's turn lock when replicas share one (Redis), like the api."""
    import asyncio

    from anyio import to_thread

    from api.services.admission import Busy
    from api.services.conversation_locks import conversation_locks
    from api.services.conversations import UnknownConversation
    from api.services.erasure import ConversationErasure, Removed
    from api.services.shared_state import open_redis

    services = _privacy_services(settings)
    erasure = ConversationErasure(sessions=services.sessions, tracker=services.tracker)

    async def erase(conversation_id: str) -> Removed:
        redis = open_redis(settings.redis_url) if settings.redis_url else None
        locks = conversation_locks(
            redis=redis, max_wait_s=settings.rasa_queue_wait_s, retry_after_s=settings.busy_retry_after_s
        )
        try:
            async with locks.hold(conversation_id):
                return await to_thread.run_sync(lambda: erasure.erase(conversation_id, by="admin", actor=_operator()))
        finally:
            if redis is not None:
                await redis.aclose()

    try:
        conversation_id = _conversation_of(services, args)
        if conversation_id is None:
            return 1
        removed = asyncio.run(erase(conversation_id))
    except UnknownConversation:
        print(f"loket: no conversation {conversation_id}", file=sys.stderr)
        return 1
    except Busy:
        print("loket: a turn of this conversation is running; try again", file=sys.stderr)
        return 1
    finally:
        services.tracker.close()
        services.engine.dispose()
    counts = ", ".join(f"{store.replace('_', ' ')} {count}" for store, count in removed.as_dict().items())
    print(f"Erased conversation {conversation_id}: {counts}")
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    """`loket export`: the JSON on stdout, or in a file only its owner can read (it holds personal data)."""
    import os

    from api.services.conversations import UnknownConversation
    from api.services.subject_access import ConversationExport

    services = _privacy_services(settings)
    try:
        conversation_id = _conversation_of(services, args)
        if conversation_id is None:
            return 1
        exported = ConversationExport(
            sessions=services.sessions, tracker=services.tracker, contacts=_contact_vault(settings, services.sessions)
        ).export(conversation_id, actor=_operator())
    except UnknownConversation:
        print(f"loket: no conversation {conversation_id}", file=sys.stderr)
        return 1
    finally:
        services.tracker.close()
        services.engine.dispose()
    text = json.dumps(exported, ensure_ascii=False, indent=2)
    if not args.output:
        print(text)
        return 0
    descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    print(f"Wrote {args.output}", file=sys.stderr)
    return 0


def cmd_switch(settings: Settings, args: argparse.Namespace) -> int:
    """`loket switch`: the citizen chat's kill switches, for when no admin can log in. A change is
    audited with the operator as actor; every api process follows within chat_switch_ttl_s."""
    from api.services.chat_switches import ChatSwitches
    from api.services.database import create_schema, make_engine, make_sessionmaker

    engine = make_engine(settings.sqlalchemy_url)
    try:
        create_schema(engine)
        switches = ChatSwitches(sessions=make_sessionmaker(engine))
        if args.switch_command in ("on", "off"):
            switches.set(args.name, on=args.switch_command == "on", actor=_operator(), reason=args.reason or "")
        current = switches.settings()
    finally:
        engine.dispose()
    for setting in current:
        line = f"{setting.name:<8} {'on' if setting.on else 'off'}"
        if setting.changed_at is not None:
            line += f"   {setting.changed_at:%Y-%m-%d %H:%M} UTC by {setting.changed_by}"
            line += f": {setting.reason}" if setting.reason else ""
        print(line)
    return 0


def case_number(value: str) -> int:
    from api.schemas import MAX_DATABASE_ID

    number = int(value)
    if not 1 <= number <= MAX_DATABASE_ID:
        raise argparse.ArgumentTypeError(f"not a case number: {value}")
    return number


def _one_conversation(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--conversation", metavar="ID", help="the conversation id")
    which.add_argument("--case", metavar="NUMBER", type=case_number, help="a case number (the citizen's kenmerk)")


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    """`loket db upgrade`: what every api process does at start, for operators who migrate first
    and start the replicas after (docs/deployment.md, "Upgrading")."""
    from api.services.database import create_schema, make_engine
    from api.services.schema_migrations import current_revision

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as connection:
            before = current_revision(connection)
        create_schema(engine)
        with engine.connect() as connection:
            after = current_revision(connection)
    finally:
        engine.dispose()
    print(f"Database at revision {after} (head)" + ("" if before == after else f", was {before or 'none'}"))
    return 0


def cmd_db_current(settings: Settings, _args: argparse.Namespace) -> int:
    """`loket db current`: the database's revision; exit status 1 when it is not the newest."""
    from api.services.database import make_engine
    from api.services.schema_migrations import current_revision, head_revision

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
    finally:
        engine.dispose()
    head = head_revision()
    if current == head:
        print(f"{current} (head)")
        return 0
    print(f"{current or 'none'} (head is {head}: run `loket db upgrade`)")
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loket", description="Loket operators' command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start Loket (trains/builds what is stale)").set_defaults(func=cmd_run)
    sub.add_parser("train", help="train the Rasa model if its inputs changed").set_defaults(func=cmd_train)
    ingest = sub.add_parser("ingest", help="build the knowledge index from documents")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: the configured policy folders)")
    ingest.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    ingest.add_argument("--no-progress", action="store_true", help="plain progress lines, no bars")
    ingest.set_defaults(func=cmd_ingest)
    search = sub.add_parser("search", help="search the knowledge index")
    search.add_argument("question")
    search.add_argument("--json", action="store_true")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--role", action="append", help="reader role (repeatable)")
    search.add_argument("--team", action="append", help="reader team (repeatable)")
    search.set_defaults(func=cmd_search)
    topics = sub.add_parser("topics", help="which municipal topics the documents cover, as the answer engine counts")
    topics.add_argument("--json", action="store_true")
    topics.set_defaults(func=cmd_topics)
    route = sub.add_parser("route", help="which team a citizen message belongs to")
    route.add_argument("message")
    route.add_argument("--json", action="store_true")
    route.add_argument(
        "--context", action="append", help="an earlier message of the citizen (repeatable, oldest first)"
    )
    route.add_argument("--intent", help="Rasa's intent for the message, if known (out_of_scope -> null)")
    route.add_argument("--language", default="nl", choices=["nl", "en"])
    route.set_defaults(func=cmd_route)
    evaluation = sub.add_parser("eval", help="evaluate a component on its labelled set")
    evaluation.add_argument("component", choices=["routing", "retrieval", "answers", "pii", "nlu"])
    evaluation.add_argument(
        "--set",
        help="labelled JSONL file (routing: data/eval/routing.jsonl, with --tune routing_dev.jsonl; "
        "retrieval: data/eval/retrieval_nl_en.jsonl, or data/eval/statutes_test.jsonl (statutes_dev.jsonl: "
        "the tuning split); "
        "answers: data/eval/answers_test.jsonl, or answers_dev.jsonl; pii: data/eval/pii.jsonl (tuned on), "
        "or data/eval/pii_test.jsonl (held out); nlu: Rasa NLU YAML, data/eval/nlu_test.yml (held out))",
    )
    evaluation.add_argument(
        "--index-dir", help="retrieval: index to search (default var/index; statutes: var/index-statutes)"
    )
    evaluation.add_argument(
        "--sources", nargs="+", help="retrieval: statute YAML files to index (default ../shared/data/regelrecht)"
    )
    evaluation.add_argument("--quiet", action="store_true", help="retrieval: do not list the misses")
    evaluation.add_argument("--show-misses", action="store_true", help="answers, pii, nlu: list each miss")
    evaluation.add_argument(
        "--fit",
        action="store_true",
        help="answers: fit the answer engine on the dev split (data/answers/answer_model.yml); retrieval on "
        "statutes_dev.jsonl: fit the statute search's article ranker (data/search/statute_ranker.yml)",
    )
    evaluation.add_argument("--tune", action="store_true", help="grid-search the routing parameters on the set")
    evaluation.add_argument(
        "--max-triage", type=float, default=0.08, help="with --tune: the largest triage share allowed"
    )
    evaluation.add_argument("--json", action="store_true", help="print the summary figures as JSON")
    evaluation.set_defaults(func=cmd_eval)
    users = sub.add_parser("users", help="manage staff, moderator and admin accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--role", action="append", required=True, choices=["moderator", "staff", "admin"])
    create.add_argument("--team", action="append", help="team id (repeatable), e.g. burgerzaken")
    create.add_argument("--name", help="display name shown to citizens (default: the username)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(func=cmd_users_create)
    users.add_parser("list", help="list users (name, display name, roles, teams, active/disabled)").set_defaults(
        func=cmd_users_list
    )
    for users_command, text in (
        ("disable", "a leaver: no more logins; their sessions end and their API tokens are revoked at once"),
        ("enable", "let a disabled user log in again (their old API tokens stay revoked)"),
        ("revoke", "end all the user's sessions and revoke all their API tokens, without disabling"),
        ("reset-password", "set a new password (asked twice) and end the user's sessions"),
        ("set", "new roles (--role, repeatable) and/or teams (--team, repeatable): someone moving to another team"),
    ):
        change = users.add_parser(users_command, help=text)
        change.add_argument("username")
        if users_command == "set":
            change.add_argument("--role", action="append", choices=["moderator", "staff", "admin"])
            change.add_argument("--team", action="append", help="team id (repeatable); replaces the user's teams")
            change.add_argument("--no-teams", action="store_true", help="take away all the user's teams")
        if users_command == "reset-password":
            change.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        change.set_defaults(func=cmd_users_change)
    retention = sub.add_parser("retention", help="retention of personal data").add_subparsers(
        dest="retention_command", required=True
    )
    retention_run = retention.add_parser("run", help="remove what is past its retention period, from every store")
    retention_run.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")
    retention_run.add_argument("--json", action="store_true", help="print the counts as JSON")
    retention_run.set_defaults(func=cmd_retention_run)
    erase = sub.add_parser("erase", help="erase one conversation from every store (AVG art. 17)")
    _one_conversation(erase)
    erase.set_defaults(func=cmd_erase)
    export = sub.add_parser("export", help="one conversation as JSON, for a request for access (AVG art. 15)")
    _one_conversation(export)
    export.add_argument("--output", metavar="FILE", help="write to FILE (readable by its owner only), not stdout")
    export.set_defaults(func=cmd_export)
    contacts = sub.add_parser("contacts", help="the encrypted contact details of forms").add_subparsers(
        dest="contacts_command", required=True
    )
    contacts.add_parser(
        "rotate", help="re-encrypt every contact detail under the first of LOKET_CONTACT_KEYS (key rotation)"
    ).set_defaults(func=cmd_contacts_rotate)
    switch = sub.add_parser("switch", help="the citizen chat's kill switches: show, or turn a part off or on")
    switch_commands = switch.add_subparsers(dest="switch_command", required=True)
    switch_commands.add_parser("show", help="which parts are on, and their last change").set_defaults(func=cmd_switch)
    for state, what in (("off", "switch a part off (crisis help stays on)"), ("on", "switch a part on again")):
        change = switch_commands.add_parser(state, help=what)
        change.add_argument("name", choices=["chat", "answers", "forms"], help="the whole chat, answers, forms")
        change.add_argument("--reason", help="why, for the audit log")
        change.set_defaults(func=cmd_switch)
    database = sub.add_parser("db", help="the api's database schema (Alembic migrations)").add_subparsers(
        dest="db_command", required=True
    )
    database.add_parser("upgrade", help="migrate to the newest revision (the api also does at start)").set_defaults(
        func=cmd_db_upgrade
    )
    database.add_parser("current", help="the database's revision; exit status 1 when not the newest").set_defaults(
        func=cmd_db_current
    )
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
