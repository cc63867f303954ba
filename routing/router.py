"""Routing: a citizen's message (plus the conversation so far) -> the team that handles it.

The decision combines the signals the router has (see data/routing/routing.yml for weights):

* crisis phrases (a `crisis` check the caller passes in: the api's, shared with the chat
  gateway): `crisis` whatever else matches;
* Rasa's intent when the caller has one: `out_of_scope` -> null;
* similarity to the example messages of every team and of out-of-scope messages (teams.yml,
  out_of_scope.yml), embedded once with the knowledge package's embedder;
* keywords per team (teams.yml), the words that decided it;
* the knowledge index: the owning teams of the public documents that match the message.

The scores become probabilities (softmax); below the calibrated threshold the router is
unsure and the case goes to moderator triage instead of a guess.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from knowledge.example_classifier import LOG_FLOOR, ExampleClassifier
from knowledge.example_index import ExampleIndex, SimilarExample
from routing.config import (
    CRISIS,
    OUT_OF_SCOPE,
    ROUTING_DIR,
    RoutingConfig,
    RoutingParams,
    load_routing_config,
)
from routing.signals import (
    KeywordHit,
    KeywordMatcher,
    MatchingDocument,
    QueryCache,
    keyword_scores,
    knowledge_votes,
)

if TYPE_CHECKING:
    from knowledge.query_vectors import QueryVector
    from knowledge.types import Embedder, Searcher
    from routing.teams import TeamDirectory

Status = Literal["routed", "out_of_scope", "unsure", "crisis"]
Turn = str | Mapping[str, Any]
# Text -> the crisis phrase it contains, or None.
CrisisCheck = Callable[[str], str | None]


@dataclass(frozen=True)
class RoutingDecision:
    """`team` is None when the message is out of scope *or* the router is unsure (then
    `unsure` is True, `status` "unsure" and `best_guess` holds its best candidate)."""

    team: str | None
    confidence: float
    explanation: str
    runners_up: list[str] = field(default_factory=list)
    status: Status = "routed"
    unsure: bool = False
    best_guess: str | None = None
    kind: str | None = None  # team | external | special (None when no team)
    scores: dict[str, float] = field(default_factory=dict)  # probability per label ("null" = out of scope)
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["triage"] = self.unsure
        return data


def _user_texts(conversation: Sequence[Turn] | None, limit: int = 3) -> list[str]:
    """The citizen's earlier messages (dict turns with role/sender "user"/"citizen", or strings)."""
    texts: list[str] = []
    for turn in conversation or []:
        if isinstance(turn, str):
            texts.append(turn)
            continue
        role = str(turn.get("role") or turn.get("sender") or turn.get("event") or "user").lower()
        if role in {"user", "citizen"} and turn.get("text"):
            texts.append(str(turn["text"]))
    return [t for t in texts if t.strip()][-limit:]


def _softmax(scores: Mapping[str, float]) -> dict[str, float]:
    top = max(scores.values())
    exps = {label: math.exp(value - top) for label, value in scores.items()}
    total = sum(exps.values())
    return {label: value / total for label, value in exps.items()}


@dataclass
class Signals:
    sims: Any  # numpy array: cosine similarity to every example
    keywords: list[KeywordHit]
    votes: dict[str, float]
    documents: list[MatchingDocument]
    relevant: bool
    classes: dict[str, float] = field(default_factory=dict)  # the example classifier's log-probabilities


@dataclass
class _Scored:
    logits: dict[str, float]
    nearest: list[SimilarExample]
    keywords: list[KeywordHit]
    documents: list[MatchingDocument]
    relevant: bool


class Router:
    """Share one instance per process; the example embeddings are computed on first use."""

    def __init__(
        self,
        *,
        config: RoutingConfig,
        embedder: Embedder,
        crisis: CrisisCheck,
        search: Searcher | None = None,
        cache_dir: Path | None = None,
        params: RoutingParams | None = None,
    ) -> None:
        self.config = config
        self.params = params if params is not None else config.params
        self.embedder = embedder
        self.search = search
        self.crisis = crisis
        self.examples = ExampleIndex(embedder, config.examples(), cache_dir=cache_dir)
        # Which label the examples' directions in the embedding point to, beside how close the
        # closest ones come: it tells an assistant's everyday request from a team's message better.
        self.classifier = ExampleClassifier(self.examples)
        self.keywords = KeywordMatcher(config.teams.values())
        self.labels = [*config.teams, OUT_OF_SCOPE]

    def warm_up(self) -> None:
        self.examples.warm_up()
        if self.params.classifier_weight:
            self.classifier.warm_up()

    # ------------------------------------------------------------ scoring

    def signals(self, text: str, query_vector: QueryVector | None = None, *, with_classes: bool = False) -> Signals:
        """Everything the decision needs from the models and the index (parameter-free).

        `query_vector`: the text's embedding when the caller has it already (Rasa's NLU computes
        it with the same model; knowledge.query_vectors); used only when it is this text's and
        this embedder's. `with_classes`: the example classifier's evidence also when the
        parameters give it no weight (to tune that weight).
        """
        if query_vector is not None and query_vector.usable_for(self.embedder.name, self.embedder.dim, text):
            query = query_vector.vector
        else:
            query_vector = None
            query = self.embedder.embed_queries([text])[0]
        sims = self.examples.similarities(query)
        votes, documents, relevant = knowledge_votes(self.search, text, query_vector=query_vector)
        wanted = with_classes or self.params.classifier_weight
        classes = self.classifier.log_probabilities(query) if wanted else {}
        return Signals(sims, self.keywords.match(text), votes, documents, relevant, classes)

    def logits(self, signals: Signals, params: RoutingParams) -> dict[str, float]:
        similarity = self.examples.label_scores(signals.sims, params.top_k)
        kw = keyword_scores(signals.keywords, params.keyword_cap, weak_weight=params.weak_weight)
        logits: dict[str, float] = {}
        for label in self.labels:
            value = similarity.get(label, 0.0) / params.temperature
            value += params.keyword_weight * kw.get(label, 0.0)
            value += params.knowledge_weight * signals.votes.get(label, 0.0)
            if params.classifier_weight:
                value += params.classifier_weight * signals.classes.get(label, LOG_FLOOR)
            logits[label] = value
        if self.search is not None and not signals.relevant:
            logits[OUT_OF_SCOPE] += params.no_document_weight
        return logits

    def _score(self, text: str, params: RoutingParams, query_vector: QueryVector | None = None) -> _Scored:
        signals = self.signals(text, query_vector)
        return _Scored(
            self.logits(signals, params), self.examples.nearest(signals.sims), signals.keywords,
            signals.documents, signals.relevant,
        )  # fmt: skip

    def decide(self, logits: Mapping[str, float], params: RoutingParams | None = None) -> tuple[str, float, Status]:
        """(best label, its probability, status) from the scores."""
        params = params or self.params
        probabilities = _softmax(logits)
        best = max(probabilities, key=lambda label: probabilities[label])
        confidence = probabilities[best]
        if confidence < params.threshold:
            return best, confidence, "unsure"  # a possible crisis too: the moderator sees it flagged
        if best == CRISIS:
            return best, confidence, "crisis"
        return best, confidence, "out_of_scope" if best == OUT_OF_SCOPE else "routed"

    # ------------------------------------------------------------ deciding

    def route(
        self,
        message: str,
        *,
        conversation: Sequence[Turn] | None = None,
        intent: str | None = None,
        intent_confidence: float | None = None,
        language: str = "nl",
        query_vector: QueryVector | None = None,
    ) -> RoutingDecision:
        """`query_vector`: the message's embedding when the caller has it (see `signals`)."""
        params = self.params
        text = " ".join(message.split())
        phrase = self.crisis(text)
        if phrase is not None:
            return self._decision(
                CRISIS, 1.0, "crisis", {CRISIS: 1.0}, language,
                evidence={"crisis_phrase": phrase},
                reason=f'The message contains the crisis signal "{phrase}": '
                "crisis help lines first, whatever else it is about.",
            )  # fmt: skip
        if intent == "out_of_scope" and (intent_confidence is None or intent_confidence >= 0.5):
            return self._decision(
                None, round(intent_confidence or 1.0, 4), "out_of_scope", {OUT_OF_SCOPE: 1.0}, language,
                evidence={"intent": intent, "intent_confidence": intent_confidence},
                reason="Rasa recognised the message as out of scope (intent out_of_scope): "
                "no team or organisation handles it.",
            )  # fmt: skip

        scored = self._score(text, params, query_vector)
        logits = dict(scored.logits)
        context = _user_texts(conversation)
        context_used = False
        if context and (len(text.split()) < 4 or max(_softmax(logits).values()) < params.threshold):
            earlier = self._score(" ".join(context), params)
            logits = {label: logits[label] + params.context_weight * earlier.logits[label] for label in logits}
            context_used = True
        probabilities = _softmax(logits)
        best, confidence, status = self.decide(logits, params)
        evidence = {
            "similar_examples": [asdict(e) for e in scored.nearest],
            "documents": [asdict(d) for d in scored.documents],
            "keywords": [asdict(h) for h in scored.keywords],
            "intent": intent,
            "context_used": context_used,
        }
        team = None if status in ("unsure", "out_of_scope") else best
        return self._decision(
            team, round(confidence, 4), status, probabilities, language, evidence=evidence,
            best=best, reason=self._reason(best, confidence, status, scored, context_used),
        )  # fmt: skip

    def _decision(
        self,
        team: str | None,
        confidence: float,
        status: Status,
        probabilities: Mapping[str, float],
        language: str,
        *,
        evidence: dict[str, Any],
        reason: str,
        best: str | None = None,
    ) -> RoutingDecision:
        best = best if best is not None else (team or OUT_OF_SCOPE)
        ranked = sorted(probabilities, key=lambda label: -probabilities[label])
        runners_up = [label for label in ranked if label != best and probabilities[label] >= 0.01][:3]
        if status == "unsure":
            runners_up = [best, *runners_up][:4]
        profile = self.config.teams.get(team or "")
        scores = {label: round(p, 4) for label, p in sorted(probabilities.items(), key=lambda kv: -kv[1])[:5]}
        return RoutingDecision(
            team=team,
            confidence=confidence,
            explanation=reason,
            runners_up=runners_up,
            status=status,
            unsure=status == "unsure",
            best_guess=None if best == OUT_OF_SCOPE else best,
            kind=profile.kind if profile else None,
            scores=scores,
            evidence=evidence,
        )

    def _label_name(self, label: str) -> str:
        if label == OUT_OF_SCOPE:
            return "out of scope"
        profile = self.config.teams.get(label)
        return f"{profile.name('en')} ({label})" if profile else label

    def _reason(self, best: str, confidence: float, status: Status, scored: _Scored, context_used: bool) -> str:
        parts: list[str] = []
        if status == "unsure":
            parts.append(
                f"Unsure (confidence {confidence:.2f} < {self.params.threshold:.2f}): "
                "sent to moderator triage; "
                f"best guess {self._label_name(best)}."
            )
            if best == CRISIS:
                parts.append("POSSIBLE CRISIS: the message resembles crisis messages; check it first.")
        elif status == "out_of_scope":
            parts.append(f"Out of scope (confidence {confidence:.2f}): no team or organisation handles this.")
        elif status == "crisis":
            parts.append(f"Crisis (confidence {confidence:.2f}): the message resembles crisis messages.")
        else:
            parts.append(f"Routed to {self._label_name(best)} with confidence {confidence:.2f}.")
        words = [h for h in scored.keywords if h.team == best]
        if words:
            shown = ", ".join(f'"{h.found}"' + (f" (~{h.keyword})" if h.found != h.keyword else "") for h in words[:5])
            parts.append(f"Words that point to {best}: {shown}.")
        other = sorted({h.team for h in scored.keywords if h.team != best})
        if other:
            parts.append(f"Words also pointing to: {', '.join(other)}.")
        if scored.nearest:
            shown = "; ".join(f'"{e.text}" ({e.label}, {e.similarity:.2f})' for e in scored.nearest)
            parts.append(f"Most similar examples: {shown}.")
        if scored.documents:
            shown = "; ".join(f'"{d.title}" (team {d.team or "-"})' for d in scored.documents[:3])
            parts.append(f"Matching public documents: {shown}.")
        elif self.search is not None:
            parts.append("No public document matches.")
        if context_used:
            parts.append("The citizen's earlier messages were taken into account.")
        return " ".join(parts)


# ---------------------------------------------------------------- construction


def make_router(
    *,
    embedder_name: str,
    crisis: CrisisCheck,
    search: Searcher | None = None,
    cache_dir: Path | None = None,
    directory: Path = ROUTING_DIR,
    embedder: Embedder | None = None,
    teams: TeamDirectory | None = None,
    params: RoutingParams | None = None,
) -> Router:
    """A router for `embedder_name`, sharing the knowledge search's model when it is the same.

    directory: the routing data (out_of_scope.yml, routing.yml, and teams.yml unless `teams`
    is given); params: instead of routing.yml's parameters for the embedder.
    """
    from knowledge.embedding import make_embedder

    if embedder is None:
        shared: Embedder | None = getattr(search, "embedder", None)
        embedder = shared if shared is not None and shared.name == embedder_name else make_embedder(embedder_name)
    config = load_routing_config(embedder.name, directory, teams=teams)
    return Router(config=config, embedder=embedder, crisis=crisis, search=search, cache_dir=cache_dir, params=params)


def router_for(
    *,
    embedder_name: str,
    crisis: CrisisCheck,
    search: Searcher | None = None,
    cache_dir: Path | None = None,
    teams: TeamDirectory | None = None,
    cached_queries: bool = False,
) -> Router:
    """The router the CLI and the api use: the search's embedder when it has one (else
    `embedder_name`), example vectors cached in `cache_dir`. cached_queries: let the router and
    `search` share query vectors (replaces search.embedder with a caching wrapper of the same model)."""
    search_embedder: Embedder | None = getattr(search, "embedder", None)
    name = getattr(search_embedder, "name", None) or embedder_name
    embedder = None
    if cached_queries and search is not None and search_embedder is not None:
        embedder = QueryCache(search_embedder)
        search.embedder = embedder  # type: ignore[attr-defined]
    return make_router(
        embedder_name=name, crisis=crisis, search=search, cache_dir=cache_dir, embedder=embedder, teams=teams
    )


class LazyRouter:
    """One Router per process, built on first use by `build`: its warm-up embeds the team
    examples (cached on disk after the first time), which must not delay the api's start."""

    def __init__(self, build: Callable[[], Router]) -> None:
        self._build = build
        self._router: Router | None = None
        self._lock = threading.Lock()

    def get(self) -> Router:
        if self._router is None:
            with self._lock:
                if self._router is None:
                    router = self._build()
                    router.warm_up()
                    self._router = router
        return self._router

    def route_dict(self, text: str, *, query_vector: QueryVector | None = None) -> dict[str, Any]:
        """The decision as a plain dict: what actions store in an escalation's packet."""
        return self.get().route(text, query_vector=query_vector).to_dict()
