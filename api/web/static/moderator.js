// Moderator console: queue, handoff packet, live replies. Talks to /api/moderator/*.
// Dutch first; every text a person reads is in both languages below, codes never reach the page
// (teams by name, states and reasons in words, the api's refusals by their code).
"use strict";

const TEXT = {
  nl: {
    title: "Moderatorconsole", logout: "Uitloggen", admin: "Beheer", queue: "Wachtrij", team: "Team",
    status: "Status", priority: "Prioriteit", all: "alle", activeStates: "open en in behandeling",
    number: "#", reason: "Reden", waiting: "Wacht", view: "Bekijk", escalation: "Escalatie",
    conversation: "Gesprek", replyLabel: "Antwoord aan inwoner", replyButton: "Stuur antwoord",
    notesTitle: "Interne notities", noteLabel: "Notitie (niet zichtbaar voor inwoner)", noteButton: "Notitie toevoegen",
    claim: "Oppakken", toTeam: "Naar team", reassign: "Doorzetten", resolve: "Afhandelen", handBack: "Terug naar bot",
    empty: "Geen escalaties die aan deze filters voldoen.", none: "–", triage: "nog geen team (triage)",
    waitingFor: "{waiting} (verwacht {expected})", overdue: "te laat",
    durations: { minutes: "{n} min", hours: "{n} uur", day: "{n} dag", days: "{n} dagen" },
    states: { open: "open", claimed: "in behandeling", resolved: "afgehandeld", returned: "terug naar bot" },
    claimedBy: "in behandeling bij {name}",
    priorities: { high: "hoog", normal: "normaal" },
    reasons: { requested_human: "vraagt om medewerker", repeated_fallback: "assistent begreep het herhaald niet",
               crisis: "CRISIS", threat: "DREIGING", public_space_report: "melding openbare ruimte", complaint: "klacht" },
    languages: { nl: "Nederlands", en: "Engels" },
    facts: { status: "Status", priority: "Prioriteit", team: "Team", language: "Taal", summary: "Samenvatting",
             routing: "Routering", form: "Formulier", sources: "Getoonde bronnen" },
    routing: { routed: "{team} (zekerheid {confidence})", unsure: "onzeker; beste gok {team} (zekerheid {confidence})",
               out_of_scope: "past bij geen team", crisis: "crisis herkend" },
    formFields: { form: "Soort", what: "Wat", where: "Waar", photo: "Foto", contact: "Contact", when: "Wanneer",
                  desired_outcome: "Gewenste uitkomst" },
    authors: { citizen: "Inwoner", bot: "Digitale assistent", moderator: "Medewerker", system: "Melding" },
    contactGiven: "Contactgegevens opgegeven", contactTeamOnly: "contactgegevens opgegeven (alleen zichtbaar voor het team)",
    contactReveal: "Contactgegevens tonen", contactKinds: { email: "e-mail", phone: "telefoon" },
    failed: "Er ging iets mis. Probeer het opnieuw.",
    errors: {
      escalation_not_found: "Deze escalatie bestaat niet (meer) of is niet voor uw teams.",
      not_open: "Deze escalatie is al opgepakt.",
      closed: "Deze escalatie is al afgesloten.", claim_first: "Pak de escalatie eerst op.",
      held_by_another: "Een andere moderator behandelt deze escalatie.", unknown_team: "Onbekend team.",
      text_empty: "Typ eerst een tekst.", not_created: "Deze escalatie kon niet worden aangemaakt.", contact_team_only: "Alleen het team van deze zaak ziet de contactgegevens.",
    },
  },
  en: {
    title: "Moderator console", logout: "Log out", admin: "Administration", queue: "Queue", team: "Team",
    status: "Status", priority: "Priority", all: "all", activeStates: "open and in progress",
    number: "#", reason: "Reason", waiting: "Waiting", view: "View", escalation: "Escalation",
    conversation: "Conversation", replyLabel: "Reply to resident", replyButton: "Send reply",
    notesTitle: "Internal notes", noteLabel: "Note (not visible to the resident)", noteButton: "Add note",
    claim: "Take on", toTeam: "To team", reassign: "Pass on", resolve: "Resolve", handBack: "Back to bot",
    empty: "No escalations match these filters.", none: "–", triage: "no team yet (triage)",
    waitingFor: "{waiting} (expected {expected})", overdue: "overdue",
    durations: { minutes: "{n} min", hours: "{n} h", day: "{n} day", days: "{n} days" },
    states: { open: "open", claimed: "in progress", resolved: "resolved", returned: "back to bot" },
    claimedBy: "in progress with {name}",
    priorities: { high: "high", normal: "normal" },
    reasons: { requested_human: "asks for a person", repeated_fallback: "assistant repeatedly did not understand",
               crisis: "CRISIS", threat: "THREAT", public_space_report: "public space report", complaint: "complaint" },
    languages: { nl: "Dutch", en: "English" },
    facts: { status: "Status", priority: "Priority", team: "Team", language: "Language", summary: "Summary",
             routing: "Routing", form: "Form", sources: "Sources shown" },
    routing: { routed: "{team} (confidence {confidence})", unsure: "unsure; best guess {team} (confidence {confidence})",
               out_of_scope: "fits no team", crisis: "crisis recognised" },
    formFields: { form: "Kind", what: "What", where: "Where", photo: "Photo", contact: "Contact", when: "When",
                  desired_outcome: "Desired outcome" },
    authors: { citizen: "Resident", bot: "Digital assistant", moderator: "Colleague", system: "Notice" },
    contactGiven: "Contact details given", contactTeamOnly: "contact details given (visible to the team only)",
    contactReveal: "Show contact details", contactKinds: { email: "e-mail", phone: "phone" },
    failed: "Something went wrong. Please try again.",
    errors: {
      escalation_not_found: "This escalation no longer exists or is not for your teams.",
      not_open: "This escalation has already been taken on.",
      closed: "This escalation is already closed.", claim_first: "Take on the escalation first.",
      held_by_another: "Another moderator is handling this escalation.", unknown_team: "Unknown team.",
      text_empty: "Type a text first.", not_created: "This escalation could not be created.", contact_team_only: "Only the team of this case sees the contact details.",
    },
  },
};
// How the packet shows a form's contact: only these placeholders, the address itself after a click.
const CONTACT_PLACEHOLDERS = { email: "[e-mail]", phone: "[telefoon]" };

const $ = (id) => document.getElementById(id);
// packet and items: the last ones shown, re-rendered when the language changes; teams: names per language.
const state = { language: localStorage.getItem("loket.moderatorLanguage") === "en" ? "en" : "nl",
  selected: null, lastMessageId: 0, packet: null, items: [], teams: { nl: [], en: [] }, myTeams: [] };
const t = (key) => TEXT[state.language][key];
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
// A team by its name in the reader's language (/api/moderator/teams), never by its id.
const teamName = (id) => (id ? state.teams[state.language].find((team) => team.id === id)?.name || id : t("triage"));
const percent = (value) => `${Math.round(Number(value || 0) * 100)} %`;
// 45 -> "45 min", 180 -> "3 uur", 2880 -> "2 dagen": a team's expected time is often days.
function duration(minutes) {
  const words = t("durations");
  if (minutes < 120) return fill(words.minutes, { n: minutes });
  if (minutes < 2 * 1440) return fill(words.hours, { n: Math.round(minutes / 60) });
  const days = Math.round(minutes / 1440);
  return fill(days === 1 ? words.day : words.days, { n: days });
}

// A refusal in the reader's language, from its code; the api's `detail` is English, never shown.
async function api(path, options = {}) {
  const response = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  if (response.status === 401) { location.href = `/login?next=${encodeURIComponent("/moderator")}`; throw new Error("login"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(t("errors")[body.code] || t("failed"));
    error.status = response.status;
    throw error;
  }
  return body;
}

function applyLanguage(language) {
  state.language = language;
  localStorage.setItem("loket.moderatorLanguage", language);
  document.documentElement.lang = language;
  document.title = `${t("title")} – Loket`;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-state]").forEach((el) => { el.textContent = t("states")[el.dataset.i18nState]; });
  document.querySelectorAll("[data-i18n-priority]").forEach((el) => { el.textContent = t("priorities")[el.dataset.i18nPriority]; });
  document.querySelectorAll("[data-language]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.language === language)));
  showTeamOptions();
  renderQueue();
  if (state.packet) renderPacket(state.packet);
}

function showTeamOptions() {
  const options = (select, first) => {
    const chosen = select.value;
    select.replaceChildren(...first, ...state.teams[state.language].map((team) => new Option(team.name, team.id)));
    if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
  };
  options($("filter-team"), [new Option(t("all"), "")]);
  options($("reassign-team"), []);
}

// 404: the escalation is gone from this moderator's view (e.g. reassigned to a team that is not theirs).
function closePacket() {
  state.selected = null;
  state.packet = null;
  $("packet").hidden = true;
}

function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.append(td); return td; }

function stateOf(status, claimedBy) {
  return status === "claimed" && claimedBy ? fill(t("claimedBy"), { name: claimedBy }) : t("states")[status] || status;
}

async function loadQueue() {
  const params = new URLSearchParams();
  for (const [key, id] of [["team", "filter-team"], ["status", "filter-status"], ["priority", "filter-priority"]]) {
    if ($(id).value) params.set(key, $(id).value);
  }
  state.items = await api(`/api/moderator/escalations?${params}`);
  renderQueue();
}

function renderQueue() {
  const rows = state.items.map((item) => {
    const row = document.createElement("tr");
    row.dataset.id = item.id;
    if (item.priority === "high") row.className = "high";
    if (item.overdue) row.classList.add("overdue");
    cell(row, item.id);
    cell(row, t("priorities")[item.priority] || item.priority);
    cell(row, teamName(item.team));
    cell(row, t("reasons")[item.reason] || item.reason);
    const waiting = fill(t("waitingFor"), { waiting: duration(item.waiting_minutes), expected: duration(item.expected_minutes) });
    cell(row, item.overdue ? `${waiting}, ${t("overdue")}` : waiting);
    cell(row, stateOf(item.status, item.claimed_by));
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = t("view");
    open.addEventListener("click", () => select(item.id).catch(showError));
    cell(row, "").append(open);
    return row;
  });
  if (!rows.length) {
    const row = document.createElement("tr");
    cell(row, t("empty")).colSpan = 7;
    rows.push(row);
  }
  $("queue").replaceChildren(...rows);
}

function renderMessage(message) {
  const li = document.createElement("li");
  li.className = `message ${message.author}`;
  li.dataset.id = message.id;
  li.textContent = `${t("authors")[message.author] || t("authors").system}: ${message.text}`;
  state.lastMessageId = Math.max(state.lastMessageId, message.id);
  return li;
}

function routingText(routing) {
  if (!routing || !routing.status) return t("none");
  const guess = routing.team || routing.best_guess;
  // The router's own explanation is English and names teams by their ids: the api has it, the page not.
  return fill(t("routing")[routing.status] || t("none"), { team: teamName(guess), confidence: percent(routing.confidence) });
}

function formText(form) {
  const entries = Object.entries(form || {}).filter(([, value]) => value !== null && value !== "");
  if (!entries.length) return t("none");
  return entries.map(([key, value]) => {
    const shown = key === "form" ? t("reasons")[value] || value : value;
    return `${t("formFields")[key] || key}: ${shown}`;
  }).join("; ");
}

async function select(id) {
  const packet = await api(`/api/moderator/escalations/${id}`);
  state.selected = id;
  state.packet = packet;
  renderPacket(packet);
}

function renderPacket(packet) {
  const e = packet.escalation;
  $("packet").hidden = false;
  $("packet-id").textContent = `#${e.id}`;
  const facts = {
    status: stateOf(e.status, packet.claimed_by), priority: t("priorities")[e.priority] || e.priority,
    team: teamName(e.team), language: t("languages")[e.language] || e.language,
    // Cases stored before summaries lost their form code began with it ("complaint: ...").
    summary: e.summary.replace(new RegExp(`^${e.reason}: `), "") || t("none"),
    routing: routingText(e.routing), form: formText(e.form_data),
    sources: packet.sources_shown.map((s) => s.title).join(", ") || t("none"),
  };
  const dl = $("packet-facts");
  dl.replaceChildren();
  for (const [key, value] of Object.entries(facts)) {
    const dt = document.createElement("dt"); dt.textContent = t("facts")[key];
    const dd = document.createElement("dd"); dd.textContent = value; dd.dataset.fact = key;
    dl.append(dt, dd);
  }
  showContact(e);
  state.lastMessageId = 0;
  $("transcript").replaceChildren(...packet.transcript.map(renderMessage));
  $("notes").replaceChildren(...packet.notes.map((n) => { const li = document.createElement("li"); li.textContent = `${n.author}: ${n.text}`; return li; }));
}

// A form's contact: the packet holds only its placeholder ("[e-mail]"); the address itself is shown to
// the case's team only, after a click (each reveal is in the audit log).
function showContact(escalation) {
  const given = String((escalation.form_data || {}).contact || "");
  const kinds = Object.keys(CONTACT_PLACEHOLDERS).filter((kind) => given.includes(CONTACT_PLACEHOLDERS[kind]));
  const ofTeam = escalation.team !== null && state.myTeams.includes(escalation.team);
  $("contact").hidden = kinds.length === 0;
  $("contact-text").textContent = ofTeam
    ? `${t("contactGiven")}: ${kinds.map((k) => t("contactKinds")[k]).join(", ")}` : t("contactTeamOnly");
  $("contact-reveal").hidden = !ofTeam;
  $("contact-details").replaceChildren();
}

function showError(error) { $("packet-status").textContent = error.message; }

async function revealContact() {
  $("packet-status").textContent = "";
  try {
    const details = await api(`/api/moderator/escalations/${state.selected}/contact/reveal`, { method: "POST" });
    $("contact-details").replaceChildren(...details.map((d) => {
      const li = document.createElement("li");
      li.textContent = `${t("contactKinds")[d.kind] || d.kind}: ${d.value}`;
      return li;
    }));
    $("contact-reveal").hidden = true;
  } catch (error) { showError(error); }
}

async function act(path, body) {
  $("packet-status").textContent = "";
  try {
    const done = await api(`/api/moderator/escalations/${state.selected}/${path}`, { method: "POST", body: body ? JSON.stringify(body) : undefined });
    await select(state.selected).catch((error) => { if (error.status === 404) closePacket(); else throw error; });
    await loadQueue();
    // A reply or note with personal data in it: the server says, in the console's language, what it left out.
    if (done.notice) $("packet-status").textContent = done.notice;
    return true;
  } catch (error) { showError(error); return false; }
}

$("claim").addEventListener("click", () => act("claim"));
$("contact-reveal").addEventListener("click", revealContact);
$("resolve").addEventListener("click", () => act("resolve"));
$("hand-back").addEventListener("click", () => act("hand-back"));
$("reassign").addEventListener("click", () => act("reassign", { team: $("reassign-team").value }));
// What was typed stays in the box when the api refused it, so nothing is lost.
$("reply").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (await act("messages", { text: $("reply-text").value, language: state.language })) $("reply-text").value = "";
});
$("note").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (await act("notes", { text: $("note-text").value, language: state.language })) $("note-text").value = "";
});
$("logout").addEventListener("click", async () => { await fetch("/api/auth/logout", { method: "POST" }); location.href = "/login"; });
document.querySelectorAll("#filters select").forEach((s) => s.addEventListener("change", () => loadQueue().catch(showError)));
document.querySelectorAll("[data-language]").forEach((b) => b.addEventListener("click", () => applyLanguage(b.dataset.language)));

async function start() {
  const me = await api("/api/auth/me");
  $("me").textContent = me.display_name;
  $("admin-link").hidden = !me.roles.includes("admin");
  state.myTeams = me.teams || [];
  [state.teams.nl, state.teams.en] = await Promise.all(
    ["nl", "en"].map((language) => api(`/api/moderator/teams?language=${language}`)));
  applyLanguage(state.language);
  await loadQueue();
  // New escalations and the citizen's new messages arrive while the console is open.
  setInterval(async () => {
    await loadQueue().catch(() => {});
    if (state.selected !== null) {
      // Only what is new since the last message shown: the transcript is not sent again.
      const selected = state.selected;
      const packet = await api(`/api/moderator/escalations/${selected}?after=${state.lastMessageId}`)
        .catch((error) => { if (error.status === 404 && state.selected === selected) closePacket(); return null; });
      if (packet && state.selected === selected) {
        const fresh = packet.transcript.filter((m) => m.id > state.lastMessageId);
        state.packet.transcript.push(...fresh);
        $("transcript").append(...fresh.map(renderMessage));
      }
    }
  }, 3000);
}
start();
