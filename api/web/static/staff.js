// Staff workspace: search (/api/staff/search), ask questions (/api/staff/ask) and read documents
// at the cited section. Dutch first; every text a person reads is in both languages below.
"use strict";

const TEXT = {
  nl: { title: "Zoeken in beleid en regelgeving", logout: "Uitloggen", modes: "Werkwijze",
        modeSearch: "Zoeken", modeAsk: "Vraag stellen",
        query: "Vraag of zoekwoorden", queryExample: "Bijvoorbeeld: wanneer mag ik een spoedaanvraag paspoort doen?",
        team: "Team", type: "Soort", all: "alle", public: "publiek", internal: "intern", statute: "wetgeving",
        from: "Geldig vanaf", until: "Geldig tot", searchButton: "Zoek", close: "Sluiten",
        nothingFound: "Niets gevonden dat relevant genoeg is.", why: "Waarom", official: "Officiële bron",
        version: "versie", validFrom: "geldig vanaf", noTeam: "geen team", failed: "Er ging iets mis. Probeer het opnieuw.",
        askHint: "Het antwoord komt uit de documenten die u mag lezen: publieke pagina's, interne documenten van uw teams en wetgeving.",
        question: "Uw vraag", followUp: "Vervolgvraag", questionExample: "Bijvoorbeeld: hoe lang is een urgentieverklaring geldig?",
        askButton: "Vraag", newQuestion: "Nieuwe vraag", you: "U", assistant: "Antwoord", thinking: "Even zoeken…",
        declined: "Daar heb ik geen informatie over in de documenten die u mag lezen.",
        source: "Bron", seeAlso: "Zie ook", otherLanguage: { nl: "Dit document is in het Nederlands.", en: "Dit document is in het Engels." },
        whyWords: "zoekwoorden gevonden ({words}): BM25 {score}", relatedWords: "verwante woorden",
        whyMeaning: "overeenkomst in betekenis {score}", admin: "Beheer",
        denied: "Geen toegang. Deze pagina is voor medewerkers.",
        removed: "Weggelaten uit uw vraag voordat er gezocht werd: {items}. Persoonsgegevens zijn niet nodig om te zoeken en worden niet bewaard.",
        personalData: { bsn: "BSN", iban: "IBAN", phone: "telefoonnummer", email: "e-mailadres", birth_date: "geboortedatum",
                        document_number: "documentnummer", licence_plate: "kenteken", address: "adres" },
        errors: { question_empty: "Vul een vraag of zoekwoorden in.", document_not_found: "Dit document bestaat niet of u mag het niet lezen." } },
  en: { title: "Search policy and legislation", logout: "Log out", modes: "Mode",
        modeSearch: "Search", modeAsk: "Ask a question",
        query: "Question or search words", queryExample: "For example: when may I make an urgent passport application?",
        team: "Team", type: "Kind", all: "all", public: "public", internal: "internal", statute: "legislation",
        from: "Valid from", until: "Valid until", searchButton: "Search", close: "Close",
        nothingFound: "Nothing relevant enough was found.", why: "Why", official: "Official source",
        version: "version", validFrom: "valid from", noTeam: "no team", failed: "Something went wrong. Please try again.",
        askHint: "The answer comes from the documents you may read: public pages, internal documents of your teams and legislation.",
        question: "Your question", followUp: "Follow-up question", questionExample: "For example: how long is an urgency declaration valid?",
        askButton: "Ask", newQuestion: "New question", you: "You", assistant: "Answer", thinking: "Searching…",
        declined: "I have no information on that in the documents you may read.",
        source: "Source", seeAlso: "See also", otherLanguage: { nl: "This document is in Dutch.", en: "This document is in English." },
        whyWords: "search words found ({words}): BM25 {score}", relatedWords: "related words",
        whyMeaning: "similarity in meaning {score}", admin: "Administration",
        denied: "No access. This page is for staff members.",
        removed: "Left out of your question before searching: {items}. Personal data is not needed to search and is not kept.",
        personalData: { bsn: "citizen service number (BSN)", iban: "IBAN", phone: "phone number", email: "e-mail address",
                        birth_date: "date of birth", document_number: "document number", licence_plate: "licence plate", address: "address" },
        errors: { question_empty: "Enter a question or search words.", document_not_found: "This document does not exist or you may not read it." } },
};
// Earlier questions sent with a question, so that a follow-up keeps its topic (the server keeps none).
const MAX_HISTORY = 5;

const $ = (id) => document.getElementById(id);
// turns: the conversation's questions and answers; results: the last search's (both re-rendered
// when the language changes).
const state = { language: localStorage.getItem("loket.staffLanguage") === "en" ? "en" : "nl", me: null,
  turns: [], results: [], teams: [] };
const t = (key) => TEXT[state.language][key];
// A team by its name in the reader's language (/api/staff/teams), never by its id.
const teamName = (id) => (state.teams.find((team) => team.id === id)?.names[state.language]) || id;
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
const decimal = (value) => value.toLocaleString(state.language === "en" ? "en-GB" : "nl-NL",
  { minimumFractionDigits: 2, maximumFractionDigits: 2 });

// What the server left out of a question (kinds of personal data), in the reader's words.
const removedNotice = (kinds) => (kinds.length ? fill(t("removed"), { items: kinds.map((k) => t("personalData")[k] || k).join(", ") }) : "");

// A refusal in the reader's language, from its code; the api's `detail` is English, never shown.
// `removed` receives the kinds of personal data the server left out of the query (its header).
async function api(path, options = {}, removed = () => {}) {
  const response = await fetch(path, options);
  removed((response.headers.get("Loket-Removed") || "").split(",").filter(Boolean));
  if (response.status === 401) { location.href = `/login?next=${encodeURIComponent("/staff")}`; throw new Error("login"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(response.status === 403 ? t("denied") : t("errors")[body.code] || t("failed"));
  return body;
}

function applyLanguage(language) {
  state.language = language;
  localStorage.setItem("loket.staffLanguage", language);
  document.documentElement.lang = language;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  document.querySelectorAll("[data-i18n-label]").forEach((el) => el.setAttribute("aria-label", t(el.dataset.i18nLabel)));
  document.querySelectorAll("[data-language]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.language === language)));
  showMe();
  showTeamOptions();
  $("results").replaceChildren(...state.results.map(renderResult));
  $("conversation").replaceChildren(...state.turns.map(renderTurn));
}

function showMe() {
  if (!state.me) return;
  $("me").textContent = `${state.me.display_name} (${state.me.teams.map(teamName).join(", ") || t("noTeam")})`;
  $("admin-link").hidden = !state.me.roles.includes("admin");
}

// Why a passage was found, from its figures: the query's words it contains, and its meaning.
function explanation(passage) {
  const parts = [];
  if (passage.bm25_score > 0) {
    const words = passage.matched_terms.length ? passage.matched_terms.join(", ") : t("relatedWords");
    parts.push(fill(t("whyWords"), { words, score: decimal(passage.bm25_score) }));
  }
  parts.push(fill(t("whyMeaning"), { score: decimal(passage.dense_score) }));
  return parts.join("; ");
}

function anchor(section) {
  const last = section.split(" › ").pop();
  return last.toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, "-").replace(/^-+|-+$/g, "");
}

// --- search -------------------------------------------------------------------------------------

function renderResult(doc) {
  const item = document.createElement("li");
  item.className = `result ${doc.audience}`;
  item.dataset.doc = doc.doc_id;
  const title = document.createElement("h2");
  title.textContent = doc.title;
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = [t(doc.doc_type), doc.team && teamName(doc.team), doc.version && `${t("version")} ${doc.version}`,
    doc.effective_date && `${t("validFrom")} ${doc.effective_date}`].filter(Boolean).join(" · ");
  item.append(title, meta);
  for (const passage of doc.passages) {
    const block = document.createElement("blockquote");
    const cite = document.createElement("a");
    cite.href = "#";
    cite.className = "citation";
    cite.textContent = `${doc.title} › ${passage.section.split(" › ").slice(1).join(" › ") || passage.section}`;
    cite.addEventListener("click", (event) => { event.preventDefault(); openDocument(doc.doc_id, anchor(passage.section)); });
    const text = document.createElement("p");
    text.innerHTML = passage.html;  // escaped by the server; only <mark> is markup
    const why = document.createElement("p");
    why.className = "why";
    why.textContent = `${t("why")}: ${explanation(passage)}`;
    block.append(text, cite, why);
    item.append(block);
  }
  if (doc.url && doc.url.startsWith("http")) item.append(officialLink(doc.url));
  return item;
}

function officialLink(url) {
  const link = document.createElement("a");
  link.href = url; link.target = "_blank"; link.rel = "noopener";
  link.textContent = t("official");
  return link;
}

async function openDocument(docId, section) {
  const doc = await api(`/api/staff/documents/${encodeURIComponent(docId)}`);
  $("document").hidden = false;
  $("document-meta").textContent = [doc.title, doc.version && `${t("version")} ${doc.version}`, doc.effective_date].filter(Boolean).join(" · ");
  $("document-body").innerHTML = doc.html;  // rendered server-side from Markdown without raw HTML
  const target = section && document.getElementById(section);
  (target || $("document")).scrollIntoView();
}

$("search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const params = new URLSearchParams({ q: $("query").value });
  for (const id of ["team", "type", "from", "until"]) if ($(id).value) params.set(id, $(id).value);
  $("status").textContent = "";
  try {
    let removed = [];
    const results = await api(`/api/staff/search?${params}`, {}, (kinds) => { removed = kinds; });
    state.results = results;
    $("results").replaceChildren(...results.map(renderResult));
    $("status").textContent = [removedNotice(removed), results.length ? "" : t("nothingFound")].filter(Boolean).join(" ");
  } catch (error) { $("status").textContent = error.message; }
});

// --- question mode ------------------------------------------------------------------------------

// A citation opens in the document view when it points into the workspace (/staff#doc=...),
// and beside the workspace when it is a public page of the site.
function citationLink(citation) {
  const link = document.createElement("a");
  link.className = "citation";
  link.href = citation.url;
  link.dataset.doc = citation.doc_id;
  link.textContent = citation.heading ? `${citation.title} › ${citation.heading}` : citation.title;
  if (citation.url.startsWith("/staff#")) {
    link.addEventListener("click", (event) => { event.preventDefault(); openFromHash(new URL(citation.url, location.href).hash); });
  } else {
    link.target = "_blank"; link.rel = "noopener";
  }
  return link;
}

function citationMeta(citation) {
  return [t(citation.doc_type), citation.team && teamName(citation.team), citation.version && `${t("version")} ${citation.version}`,
    citation.effective_date && `${t("validFrom")} ${citation.effective_date}`].filter(Boolean).join(" · ");
}

function renderTurn({ question, answer }) {
  const item = document.createElement("li");
  item.className = "turn";
  const asked = document.createElement("p");
  asked.className = "question";
  const who = document.createElement("span");
  who.className = "author";
  who.textContent = t("you");
  asked.append(who, document.createTextNode(question));
  const reply = document.createElement("div");
  reply.className = `answer ${answer.answered ? "answered" : "declined"}`;
  const label = document.createElement("span");
  label.className = "author";
  label.textContent = t("assistant");
  reply.append(label);
  if (answer.answered) {
    const text = document.createElement("div");
    text.className = "text";
    text.innerHTML = answer.html;  // the document's Markdown rendered and escaped by the server
    const source = document.createElement("p");
    source.className = "source";
    source.append(`${t("source")}: `, citationLink(answer.citation));
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = ` · ${citationMeta(answer.citation)}`;
    source.append(meta);
    if (answer.citation.official_url) source.append(" · ", officialLink(answer.citation.official_url));
    reply.append(text, source);
    if (answer.citation.language !== state.language) {
      const note = document.createElement("p");
      note.className = "meta";
      note.textContent = t("otherLanguage")[answer.citation.language] || "";
      reply.append(note);
    }
  } else {
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = t("declined");
    reply.append(text);
  }
  if (answer.alternatives.length) {
    const more = document.createElement("div");
    more.className = "alternatives";
    const heading = document.createElement("p");
    heading.textContent = `${t("seeAlso")}:`;
    const list = document.createElement("ul");
    for (const alternative of answer.alternatives) {
      const li = document.createElement("li");
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = ` · ${citationMeta(alternative)}`;
      li.append(citationLink(alternative), meta);
      list.append(li);
    }
    more.append(heading, list);
    reply.append(more);
  }
  item.append(asked, reply);
  return item;
}

function setConversationStarted(started) {
  $("question-label").dataset.i18n = started ? "followUp" : "question";
  $("question-label").textContent = t($("question-label").dataset.i18n);
  $("new-question").hidden = !started;
}

$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("ask-status").textContent = t("thinking");
  $("ask-button").disabled = true;
  try {
    const answer = await api("/api/staff/ask", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, history: state.turns.map((turn) => turn.question).slice(-MAX_HISTORY),
        language: state.language }),
    });
    state.turns.push({ question, answer });
    const turn = renderTurn({ question, answer });
    $("conversation").append(turn);
    turn.scrollIntoView({ block: "nearest" });
    $("question").value = "";
    $("ask-status").textContent = removedNotice(answer.removed || []);
    setConversationStarted(true);
  } catch (error) { $("ask-status").textContent = error.message; }
  $("ask-button").disabled = false;
  $("question").focus();
});

$("new-question").addEventListener("click", () => {
  state.turns = [];
  $("conversation").replaceChildren();
  $("ask-status").textContent = "";
  setConversationStarted(false);
  $("question").focus();
});

// --- modes, document links, language --------------------------------------------------------------

function showMode(mode) {
  document.querySelectorAll("[data-mode]").forEach((tab) => {
    const selected = tab.dataset.mode === mode;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  });
  sessionStorage.setItem("loket.staffMode", mode);
}

const tabs = [...document.querySelectorAll("[data-mode]")];
tabs.forEach((tab, index) => {
  tab.addEventListener("click", () => showMode(tab.dataset.mode));
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    showMode(next.dataset.mode);
    next.focus();
  });
});

// "#doc=<id>&section=<anchor>": a citation that opens a document of the workspace at its section.
function openFromHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const docId = params.get("doc");
  if (!docId) return;
  history.replaceState(null, "", `#${params}`);
  openDocument(docId, params.get("section")).catch((error) => { $("ask-status").textContent = error.message; });
}
window.addEventListener("hashchange", () => openFromHash(location.hash));

$("close-document").addEventListener("click", () => { $("document").hidden = true; });
$("logout").addEventListener("click", async () => { await fetch("/api/auth/logout", { method: "POST" }); location.href = "/login"; });
document.querySelectorAll("[data-language]").forEach((b) => b.addEventListener("click", () => applyLanguage(b.dataset.language)));

// The team filter: "all" first, then every team by its name in the reader's language.
function showTeamOptions() {
  const chosen = $("team").value;
  const all = $("team").querySelector('option[value=""]');
  const options = state.teams.map((team) => {
    const option = document.createElement("option");
    option.value = team.id; option.textContent = teamName(team.id);
    return option;
  });
  $("team").replaceChildren(...[all, ...options].filter(Boolean));
  $("team").value = chosen;
}

applyLanguage(state.language);
showMode(sessionStorage.getItem("loket.staffMode") === "ask" ? "ask" : "search");

(async () => {
  [state.me, state.teams] = await Promise.all([api("/api/auth/me"), api("/api/staff/teams")]);
  showTeamOptions();
  showMe();
  openFromHash(location.hash);
})();
