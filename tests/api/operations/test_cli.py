"""`loket`, the operators' command line, run in-process on a data dir of the test's own:
exit codes, what it prints, and errors as one `loket: ...` line. Hashing embedder: no model
download; no command here starts Rasa."""

from __future__ import annotations

import getpass
import io
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.operations.cli import _reader, build_parser, main
from api.services.audit import AuditLog
from api.settings import get_settings
from knowledge.types import Reader
from tests.api.conftest import INTERNAL, PUBLIC
from tests.api.services.conftest import Stores, seed_conversation

PASSWORD = "correct horse battery"
Loket = Callable[..., tuple[int, str, str]]


@pytest.fixture
def loket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Loket]:
    """Runs `loket ARGS` with the settings of a fresh data dir; returns (exit code, stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith("LOKET_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("LOKET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LOKET_EMBEDDER", "hashing")
    get_settings.cache_clear()

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "paspoort-aanvragen.md").write_text(PUBLIC, encoding="utf-8")
    (folder / "werkinstructie-spoed.md").write_text(INTERNAL, encoding="utf-8")
    return folder


# --- users -------------------------------------------------------------------------------------


def test_users_are_created_and_listed(loket: Loket) -> None:
    code, out, _ = loket("users", "create", "Anna", "--role", "moderator", "--role", "staff", "--team", "afval",
                         "--name", "Anna de Vries", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0
    assert out == "Created anna (roles: moderator, staff; teams: afval)\n"
    loket("users", "create", "bert", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    code, out, _ = loket("users", "list")
    assert code == 0
    assert out.splitlines() == ["anna\tAnna de Vries\tmoderator,staff\tafval\tactive", "bert\tbert\tadmin\t\tactive"]


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [(("anna", "--role", "staff"), "short\n", "at least 12 characters"),
     (("anna", "--role", "staff"), "aaaaaaaaaaaa\n", 'Repeats like "aaa" are easy to guess.'),
     (("anna", "--role", "staff", "--team", "no_such_team_xyz"), PASSWORD + "\n",
      "Unknown team no_such_team_xyz; the teams are: burgerzaken, belastingen, afval"),
     (("anna", "--role", "staff", "--team", "uwv"), PASSWORD + "\n", "Unknown team uwv"),
     (("  ", "--role", "staff"), PASSWORD + "\n", "username")],
)  # fmt: skip
def test_a_refused_user_is_one_line_and_exit_code_2(
    loket: Loket, argv: tuple[str, ...], stdin: str, message: str
) -> None:
    code, out, err = loket("users", "create", *argv, "--password-stdin", stdin=stdin)
    assert code == 2 and out == ""
    assert err.startswith("loket: ") and message in err and "Traceback" not in err


def test_a_username_is_taken_once(loket: Loket) -> None:
    loket("users", "create", "anna", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    code, _, err = loket("users", "create", "ANNA", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "exists already" in err


def test_the_password_is_asked_twice_on_a_terminal(loket: Loket, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr(getpass, "getpass", lambda _prompt="": next(answers))
    code, _, err = loket("users", "create", "anna", "--role", "staff")
    assert code == 2 and err == "loket: the passwords differ\n"
    assert loket("users", "list")[1] == ""  # nobody was created


def test_a_leaver_is_disabled_enabled_and_revoked_with_audit_entries(loket: Loket, tmp_path: Path) -> None:
    from datetime import timedelta as ttl

    from api.services.database import make_engine, make_sessionmaker
    from api.services.users import UserStore

    loket("users", "create", "anna", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'loket.db'}")
    users = UserStore(sessions=make_sessionmaker(engine), session_ttl=ttl(hours=1))
    anna = users.find("anna")
    session, (_, token) = users.open_session(anna), users.create_token(anna, name="script")

    assert loket("users", "disable", "ANNA") == (
        0, "Disabled anna: 1 session(s) ended, 1 API token(s) revoked\n", ""
    )  # fmt: skip
    assert users.user_for_session(session) is None and users.user_for_token(token) is None
    assert loket("users", "list")[1].endswith("\tdisabled\n")
    assert loket("users", "enable", "anna")[:2] == (0, "Enabled anna\n")
    assert users.authenticate(username="anna", password=PASSWORD) is not None
    session = users.open_session(anna)
    revoked = "Revoked anna's access: 1 session(s) ended, 0 API token(s) revoked\n"
    assert loket("users", "revoke", "anna")[:2] == (0, revoked)
    assert users.find("anna").active and users.user_for_session(session) is None

    operator = f"cli:{getpass.getuser()}"
    entries = AuditLog(sessions=make_sessionmaker(engine)).entries()
    trail = [(e.actor, e.action) for e in entries if e.target_id == "anna"]
    engine.dispose()
    assert trail == [
        (operator, "user.access_revoked"), ("anna", "user.login"), (operator, "user.enabled"),
        (operator, "user.disabled"), (operator, "user.created"),
    ]  # fmt: skip
    code, _, err = loket("users", "disable", "nobody")
    assert code == 2 and err == "loket: No user 'nobody'.\n"


def test_a_user_moves_to_another_team_or_role(loket: Loket) -> None:
    loket("users", "create", "bram", "--role", "staff", "--team", "afval", "--password-stdin", stdin=PASSWORD + "\n")
    assert loket("users", "set", "bram", "--team", "burgerzaken", "--team", "parkeren")[:2] == (
        0, "bram: roles staff; teams burgerzaken, parkeren\n"
    )  # fmt: skip
    moved = loket("users", "set", "bram", "--role", "moderator", "--no-teams")
    assert moved[:2] == (0, "bram: roles moderator; teams -\n")
    assert loket("users", "list")[1].split("\t")[2:4] == ["moderator", ""]
    code, _, err = loket("users", "set", "bram", "--team", "no_such_team_xyz")
    assert code == 2 and "Unknown team no_such_team_xyz" in err
    assert loket("users", "set", "bram") == (2, "", "loket: give --role and/or --team (or --no-teams)\n")


def test_a_password_is_reset_from_stdin_or_asked_twice(loket: Loket, monkeypatch: pytest.MonkeyPatch) -> None:
    new = "hooibaal paraplu tijger 7"
    loket("users", "create", "anna", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    code, out, _ = loket("users", "reset-password", "anna", "--password-stdin", stdin=new + "\n")
    assert code == 0 and out == "New password for anna; 0 session(s) ended\n"
    code, _, err = loket("users", "reset-password", "anna", "--password-stdin", stdin="anna12345678\n")
    assert code == 2 and "too easy to guess" in err

    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr(getpass, "getpass", lambda _prompt="": next(answers))
    code, _, err = loket("users", "reset-password", "anna")
    assert code == 2 and err == "loket: the passwords differ\n"
    code, _, err = loket("users", "reset-password", "nobody")  # before any question
    assert code == 2 and err == "loket: No user 'nobody'.\n"


def test_roles_are_checked_by_the_parser() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["users", "create", "anna"])  # --role is required
    with pytest.raises(SystemExit):
        parser.parse_args(["users", "create", "anna", "--role", "boss"])
    with pytest.raises(SystemExit):
        parser.parse_args([])  # a command is required


# --- knowledge ---------------------------------------------------------------------------------


def test_ingest_then_search_with_and_without_a_team(loket: Loket, corpus: Path) -> None:
    code, out, _ = loket("ingest", str(corpus), "--no-progress")
    assert code == 0 and "Index ready: 2 documents" in out

    code, out, _ = loket("search", "codewoord spoedbalie", "--json")
    public = json.loads(out)
    assert code == 0 and "werkinstructie-spoed" not in [hit["doc_id"] for hit in public["hits"]]

    code, out, _ = loket("search", "codewoord spoedbalie", "--json", "--team", "burgerzaken")
    assert json.loads(out)["hits"][0]["doc_id"] == "werkinstructie-spoed"

    code, out, _ = loket("search", "Wat kost een paspoort?", "-k", "1")
    assert code == 0 and out.startswith("1. Paspoort aanvragen › ") and "2. " not in out


def test_ingest_reports_unreadable_documents_with_exit_code_1(loket: Loket, corpus: Path) -> None:
    (corpus / "kapot.md").write_text("---\nid: [niet afgesloten\n---\n# Kapot\n", encoding="utf-8")
    code, out, _ = loket("ingest", str(corpus), "--no-progress")
    assert code == 1 and "skipped" in out and "kapot.md" in out


def test_ingest_of_nothing_that_exists_is_an_error(loket: Loket, tmp_path: Path) -> None:
    code, _, err = loket("ingest", str(tmp_path / "nergens"), "--no-progress")
    assert code == 1 and err.startswith("loket: No such file or folder")


def test_search_without_an_index_says_what_to_run(loket: Loket) -> None:
    code, out, err = loket("search", "paspoort")
    assert code == 1 and out == ""
    assert err.startswith("loket: No knowledge index") and "loket ingest" in err


def test_topics_lists_what_the_documents_cover_and_what_they_do_not(
    loket: Loket, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loket("ingest", str(corpus), "--no-progress")
    # The project's catalogue: this test's two documents (a passport page, a work instruction)
    # name none of its topics.
    code, out, _ = loket("topics", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["covered"] == {}
    assert {"naturalisatie", "weekmarkt"} <= set(listed["uncovered"])

    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "municipal_topics.yml").write_text(
        "topics:\n  paspoort: ['paspoort']\n  markt: ['weekmarkt']\n", encoding="utf-8"
    )
    monkeypatch.setenv("LOKET_ANSWERS_DIR", str(answers))
    get_settings.cache_clear()
    code, out, _ = loket("topics")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("2 topics in municipal_topics.yml, against ")
    assert lines[1:] == ["covered (1):", "  paspoort: Paspoort aanvragen", "not covered (1): markt"]

    (answers / "municipal_topics.yml").unlink()
    code, out, err = loket("topics")
    assert code == 1 and out == "" and err.startswith("loket: no topic catalogue at ")


def test_route_prints_the_decision(loket: Loket, corpus: Path) -> None:
    loket("ingest", str(corpus), "--no-progress")
    code, out, _ = loket("route", "ik wil niet meer leven", "--json")
    decision = json.loads(out)
    assert code == 0 and (decision["team"], decision["status"]) == ("crisis", "crisis")
    code, out, _ = loket("route", "Mijn kliko is niet geleegd")
    assert code == 0 and out.startswith("afval [routed] (")


# --- evaluation guard rails --------------------------------------------------------------------


def test_fitting_on_the_test_split_is_refused(loket: Loket) -> None:
    from api.operations.answer_eval import TEST_SET

    code, _, err = loket("eval", "answers", "--fit", "--set", str(TEST_SET))
    assert code == 2 and "the test split is for reporting only" in err


def test_an_unreadable_answer_set_is_exit_code_2(loket: Loket, tmp_path: Path) -> None:
    code, _, err = loket("eval", "answers", "--set", str(tmp_path / "missing.jsonl"))
    assert code == 2 and err.startswith("loket: ") and "cannot read" in err


def test_eval_pii_prints_recall_per_kind_and_false_redactions(loket: Loket) -> None:
    code, out, _ = loket("eval", "pii")
    assert code == 0, out
    assert "bsn" in out and "iban" in out and "false redactions:" in out and "targets met" in out
    code, out, _ = loket("eval", "pii", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["meets_targets"] and set(summary["recall"]) >= {"bsn", "iban", "phone", "email"}


def test_eval_pii_exits_1_when_a_target_is_missed_and_2_for_a_bad_set(loket: Loket, tmp_path: Path) -> None:
    missed = tmp_path / "missed.jsonl"
    missed.write_text(json.dumps({"text": "Zie 241474310", "personal_data": []}) + "\n", encoding="utf-8")
    code, out, _ = loket("eval", "pii", "--set", str(missed), "--show-misses")
    assert code == 1 and "falsely redacted: bsn '241474310'" in out
    code, _, err = loket("eval", "pii", "--set", str(tmp_path / "missing.jsonl"))
    assert code == 2 and err.startswith("loket: ")


# --- retention, erasure, export ----------------------------------------------------------------


@pytest.fixture
def cli_stores(loket: Loket, own_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stores]:
    """The stores the CLI reaches (its settings: the test's data dir, and its own PostgreSQL database or
    SQLite), with Rasa's table, for seeding conversations into them."""
    from sqlalchemy import create_engine

    from api.services.database import create_schema, make_engine, make_sessionmaker
    from api.services.rasa_tracker_store import RasaTrackerStore
    from api.settings import Settings
    from tests.api.services.conftest import RASA_EVENTS

    if own_database_url.startswith("postgresql"):
        monkeypatch.setenv("LOKET_DATABASE_URL", own_database_url)
    get_settings.cache_clear()
    settings = Settings()
    engine = make_engine(settings.sqlalchemy_url)
    create_schema(engine)
    tracker_engine = create_engine(settings.tracker_store_url)
    RASA_EVENTS.metadata.create_all(tracker_engine)
    tracker_engine.dispose()
    tracker = RasaTrackerStore.open(url=settings.tracker_store_url, api_url=settings.sqlalchemy_url, api_engine=engine)
    yield Stores(settings.sqlalchemy_url, settings.tracker_store_url, engine, make_sessionmaker(engine), tracker)
    tracker.close()
    engine.dispose()


def test_a_retention_dry_run_on_a_fresh_install_counts_nothing_and_makes_nothing(loket: Loket, tmp_path: Path) -> None:
    code, out, _ = loket("retention", "run", "--dry-run")
    assert code == 0
    assert "dry run" in out and "conversations without a case, idle over 30 days: 0" in out
    assert not (tmp_path / "var" / "rasa_tracker.db").exists()


def test_retention_removes_an_expired_chat_and_prints_counts_only(loket: Loket, cli_stores: Stores) -> None:
    old = seed_conversation(cli_stores, "oude-vraag", at=datetime.now(UTC) - timedelta(days=31))
    kept = seed_conversation(cli_stores, "nieuwe-vraag")
    code, out, _ = loket("retention", "run", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["chats"] == 1 and cli_stores.count("conversations", "id", old.conversation_id)

    code, out, _ = loket("retention", "run")
    assert code == 0
    assert "conversations without a case, idle over 30 days: 1" in out and "messages removed: 2" in out
    assert "Rasa tracker events removed: 3" in out and "oude-vraag" not in out
    assert cli_stores.count("conversations", "id", old.conversation_id) == 0
    assert cli_stores.count("events", "sender_id", kept.conversation_id) == 3


def test_retention_says_so_when_another_run_holds_the_lock(loket: Loket, monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    from api.services import retention_schedule

    @contextmanager
    def held(*_args: object, **_kwargs: object) -> Iterator[bool]:
        yield False

    monkeypatch.setattr(retention_schedule, "exclusive_run", held)
    code, _, err = loket("retention", "run")
    assert code == 1 and "another retention run is in progress" in err


def test_erase_by_conversation_or_case_from_every_store(loket: Loket, cli_stores: Stores) -> None:
    first = seed_conversation(cli_stores, "eerste", case="open")
    second = seed_conversation(cli_stores, "tweede", case="closed")

    code, out, _ = loket("erase", "--conversation", first.conversation_id)
    assert code == 0
    assert out.strip() == (
        f"Erased conversation {first.conversation_id}: conversations 1, messages 3, escalations 1, notes 1, "
        "forms 1, tracker events 3, contacts 0"
    )
    code, out, _ = loket("erase", "--case", str(second.case))
    assert code == 0 and second.conversation_id in out
    for seeded in (first, second):
        assert cli_stores.count("conversations", "id", seeded.conversation_id) == 0
        assert cli_stores.count("events", "sender_id", seeded.conversation_id) == 0
    entries = AuditLog(sessions=cli_stores.sessions).entries(action="conversation.erased")
    assert {e.target_id for e in entries} == {first.conversation_id, second.conversation_id}
    assert all(e.actor.startswith("cli:") and e.details["by"] == "admin" for e in entries)

    code, _, err = loket("erase", "--conversation", first.conversation_id)
    assert code == 1 and err.strip() == f"loket: no conversation {first.conversation_id}"
    code, _, err = loket("erase", "--case", str(second.case))
    assert code == 1 and err.strip() == f"loket: no case {second.case}"


def test_contacts_rotate_reencrypts_under_the_first_key(
    loket: Loket, cli_stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet, MultiFernet

    from api.services.contact_details import Contact, ContactVault

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    seeded = seed_conversation(cli_stores, "contact")
    ContactVault(sessions=cli_stores.sessions, cipher=MultiFernet([Fernet(old)])).keep_pending(
        seeded.conversation_id, Contact(email="piet@example.nl")
    )
    monkeypatch.setenv("LOKET_CONTACT_KEYS", f"{new},{old}")
    get_settings.cache_clear()
    code, out, _ = loket("contacts", "rotate")
    assert code == 0 and out.startswith("Re-encrypted 1 contact details")
    only_new = ContactVault(sessions=cli_stores.sessions, cipher=MultiFernet([Fernet(new)]))
    assert [d.value for d in only_new.of_conversation(seeded.conversation_id)] == ["piet@example.nl"]


def test_export_to_stdout_or_to_a_file_only_its_owner_reads(loket: Loket, cli_stores: Stores, tmp_path: Path) -> None:
    seeded = seed_conversation(cli_stores, "mijn-vraag", case="open")
    code, out, _ = loket("export", "--case", str(seeded.case))
    assert code == 0
    exported = json.loads(out)
    assert (
        exported["conversation_id"] == seeded.conversation_id and exported["messages"][0]["text"] == "Vraag mijn-vraag"
    )
    assert len(exported["tracker_events"]) == 3

    target = tmp_path / "inzage.json"
    code, out, err = loket("export", "--conversation", seeded.conversation_id, "--output", str(target))
    assert code == 0 and out == "" and str(target) in err
    assert json.loads(target.read_text(encoding="utf-8")) | {"exported_at": None} == exported | {"exported_at": None}
    assert target.stat().st_mode & 0o777 == 0o600
    assert loket("export", "--conversation", "0" * 32)[0] == 1


@pytest.mark.parametrize(
    "argv",
    [["erase"], ["erase", "--conversation", "a", "--case", "1"], ["erase", "--case", "abc"], ["erase", "--case", "0"],
     ["export"], ["retention"]],
)  # fmt: skip
def test_erase_and_export_need_exactly_one_conversation(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2


# --- the reader of `loket search` --------------------------------------------------------------


def test_the_search_reader_is_public_unless_a_role_or_team_is_given() -> None:
    parser = build_parser()
    assert _reader(parser.parse_args(["search", "q"])) == Reader.public()
    assert _reader(parser.parse_args(["search", "q", "--team", "afval"])) == Reader(
        roles=frozenset({"staff"}), teams=frozenset({"afval"})
    )
    assert _reader(parser.parse_args(["search", "q", "--role", "admin"])) == Reader(
        roles=frozenset({"admin"}), teams=frozenset()
    )


def test_the_default_retrieval_set_is_the_projects_held_out_set() -> None:
    from api.operations.cli import RETRIEVAL_SET
    from api.settings import PROJECT_ROOT

    assert (PROJECT_ROOT / RETRIEVAL_SET).is_file()


def test_the_statute_ranker_is_fitted_on_a_dev_split_only(
    loket: Loket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.operations.cli import STATUTES_SET
    from api.settings import PROJECT_ROOT
    from knowledge.statute_search import load_ranker

    code, _, err = loket("eval", "retrieval", "--set", str(PROJECT_ROOT / STATUTES_SET), "--fit")
    assert code == 2 and "dev split" in err
    code, _, err = loket("eval", "retrieval", "--fit")  # the policies' set: nothing to fit
    assert code == 2

    law = tmp_path / "participatiewet.yaml"
    url = "https://wetten.overheid.nl/BWBR0015703/2026-07-01"
    articles = {
        "1": "De bijstand wordt verleend aan wie niet over de middelen beschikt.",
        "2": "Het vermogen van de alleenstaande telt mee, spaargeld boven de vermogensgrens.",
        "3": "De belanghebbende meldt een verhuizing aan het college.",
        "4": "Het college vordert ten onrechte verleende bijstand terug.",
    }
    rows = [{"number": n, "text": t, "url": f"{url}#Artikel{n}"} for n, t in articles.items()]
    law.write_text(json.dumps({"$id": "participatiewet", "bwb_id": "BWBR0015703", "url": url, "articles": rows}))
    questions = [("spaargeld vermogen", "2"), ("bijstand terugbetalen", "4"), ("verhuizing melden", "3"),
                 ("geen middelen bijstand", "1"), ("vermogensgrens alleenstaande", "2")] * 2  # fmt: skip
    dev = tmp_path / "statutes_dev.jsonl"
    dev.write_text("".join(json.dumps({"id": f"d{i}", "question": q, "expected": [f"{url}#Artikel{n}"]}) + "\n"
                           for i, (q, n) in enumerate(questions)), encoding="utf-8")  # fmt: skip
    target = tmp_path / "statute_ranker.yml"
    monkeypatch.setattr("api.services.knowledge_service.STATUTE_RANKER", target)
    code, out, _ = loket("eval", "retrieval", "--set", str(dev), "--sources", str(law), "--fit")
    assert code == 0, out
    assert "ranker, 5-fold CV  R@1" in out
    assert load_ranker(target, "hashing") is not None


# --- the chat's kill switches --------------------------------------------------------------------


def test_switch_off_and_on_is_shown_and_audited_with_the_operator(loket: Loket, tmp_path: Path) -> None:
    from api.services.chat_switches import AUDIT_ACTION
    from api.services.database import make_engine, make_sessionmaker

    code, out, _ = loket("switch", "show")
    assert code == 0 and out.split("\n")[:3] == ["chat     on", "answers  on", "forms    on"]

    code, out, _ = loket("switch", "off", "chat", "--reason", "storing bij de leverancier")
    assert code == 0
    chat_line = out.splitlines()[0]
    assert chat_line.startswith("chat     off") and f"by cli:{getpass.getuser()}: storing bij" in chat_line

    assert loket("switch", "on", "chat")[0] == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'loket.db'}")
    entries = AuditLog(sessions=make_sessionmaker(engine)).entries(action=AUDIT_ACTION)
    engine.dispose()
    assert [(e.actor, e.target_id, e.details["on"], e.details["reason"]) for e in entries] == [
        (f"cli:{getpass.getuser()}", "chat", True, ""),
        (f"cli:{getpass.getuser()}", "chat", False, "storing bij de leverancier"),
    ]


def test_switch_names_a_known_part() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["switch", "off", "everything"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["switch", "off"])


# --- the database schema -------------------------------------------------------------------------


def test_db_upgrade_migrates_a_release_427aa63_database_and_db_current_says_so(loket: Loket, tmp_path: Path) -> None:
    from api.services.database import make_engine
    from api.services.schema_migrations import head_revision
    from tests.api.migrations.schema_427aa63 import METADATA as RELEASE_427AA63

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'loket.db'}")
    RELEASE_427AA63.create_all(engine)  # made by create_all: no revision yet
    engine.dispose()
    head = head_revision()

    assert loket("db", "current")[:2] == (1, f"none (head is {head}: run `loket db upgrade`)\n")
    assert loket("db", "upgrade")[:2] == (0, f"Database at revision {head} (head), was none\n")
    assert loket("db", "current")[:2] == (0, f"{head} (head)\n")
    assert loket("db", "upgrade")[:2] == (0, f"Database at revision {head} (head)\n")
