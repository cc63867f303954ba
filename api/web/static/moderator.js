// Moderator console: queue, handoff packet, live replies. Talks to /api/moderator/*.
"use strict";

const REASONS = { requested_human: "vraagt om medewerker", no_answer: "geen antwoord", crisis: "CRISIS", threat: "DREIGING",
  public_space_report: "melding openbare ruimte", complaint: "klacht", routing_unsure: "routering onzeker" };
const state = { selected: null, lastMessageId: 0, teams: [] };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const response = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  if (response.status === 401) { location.href = `/login?next=${encodeURIComponent("/moderator")}`; throw new Error("login"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(typeof body.detail === "string" ? body.detail : "Er ging iets mis.");
    error.status = response.status;
    throw error;
  }
  return body;
}

// 404: the escalation is gone from this moderator's view (e.g. reassigned to a team that is not theirs).
function closePacket() {
  state.selected = null;
  $("packet").hidden = true;
}

function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.append(td); return td; }

async function loadQueue() {
  const params = new URLSearchParams();
  for (const [key, id] of [["team", "filter-team"], ["status", "filter-status"], ["priority", "filter-priority"]]) {
    if ($(id).value) params.set(key, $(id).value);
  }
  const items = await api(`/api/moderator/escalations?${params}`);
  const body = $("queue");
  body.replaceChildren();
  for (const item of items) {
    const row = document.createElement("tr");
    row.dataset.id = item.id;
    if (item.priority === "high") row.className = "high";
    if (item.overdue) row.classList.add("overdue");
    cell(row, item.id);
    cell(row, item.priority === "high" ? "hoog" : "normaal");
    cell(row, item.team || "triage");
    cell(row, REASONS[item.reason] || item.reason);
    cell(row, `${item.waiting_minutes} min / ${item.expected_minutes} min`);
    cell(row, item.claimed_by ? `${item.status} (${item.claimed_by})` : item.status);
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Bekijk";
    open.addEventListener("click", () => select(item.id));
    cell(row, "").append(open);
    body.append(row);
  }
}

function renderMessage(message) {
  const li = document.createElement("li");
  li.className = `message ${message.author}`;
  li.dataset.id = message.id;
  li.textContent = `${message.author}: ${message.text}`;
  $("transcript").append(li);
  state.lastMessageId = Math.max(state.lastMessageId, message.id);
}

async function select(id) {
  const packet = await api(`/api/moderator/escalations/${id}`);
  state.selected = id;
  state.lastMessageId = 0;
  $("packet").hidden = false;
  $("packet-id").textContent = `#${id}`;
  const e = packet.escalation;
  const facts = { Status: packet.claimed_by ? `${e.status} (${packet.claimed_by})` : e.status, Prioriteit: e.priority,
    Team: e.team || "triage", Taal: e.language, Samenvatting: e.summary,
    Routering: e.routing && e.routing.explanation ? `${e.routing.team} (${e.routing.confidence}): ${e.routing.explanation}` : "–",
    Formulier: Object.keys(e.form_data || {}).length ? JSON.stringify(e.form_data) : "–",
    "Getoonde bronnen": packet.sources_shown.map((s) => s.title).join(", ") || "–" };
  const dl = $("packet-facts");
  dl.replaceChildren();
  for (const [key, value] of Object.entries(facts)) {
    const dt = document.createElement("dt"); dt.textContent = key;
    const dd = document.createElement("dd"); dd.textContent = value; dd.dataset.fact = key;
    dl.append(dt, dd);
  }
  showContact(e);
  $("transcript").replaceChildren();
  packet.transcript.forEach(renderMessage);
  $("notes").replaceChildren(...packet.notes.map((n) => { const li = document.createElement("li"); li.textContent = `${n.author}: ${n.text}`; return li; }));
}

// A form's contact: the packet holds only its placeholder ("[e-mail]"); the address itself is shown to
// the case's team only, after a click (each reveal is in the audit log).
const CONTACT_TEXT = {
  nl: { given: "Contactgegevens opgegeven", teamOnly: "contactgegevens opgegeven (alleen zichtbaar voor het team)",
        reveal: "Contactgegevens tonen", email: "e-mail", phone: "telefoon" },
  en: { given: "Contact details given", teamOnly: "contact details given (visible to the team only)",
        reveal: "Show contact details", email: "e-mail", phone: "phone" },
};
const CONTACT_PLACEHOLDERS = { email: "[e-mail]", phone: "[telefoon]" };
const contactText = () => CONTACT_TEXT[document.documentElement.lang] || CONTACT_TEXT.nl;
const consoleLanguage = () => (document.documentElement.lang === "en" ? "en" : "nl");

function showContact(escalation) {
  const given = String((escalation.form_data || {}).contact || "");
  const kinds = Object.keys(CONTACT_PLACEHOLDERS).filter((kind) => given.includes(CONTACT_PLACEHOLDERS[kind]));
  const ofTeam = escalation.team !== null && state.teams.includes(escalation.team);
  const text = contactText();
  $("contact").hidden = kinds.length === 0;
  $("contact-text").textContent = ofTeam ? `${text.given}: ${kinds.map((k) => text[k]).join(", ")}` : text.teamOnly;
  $("contact-reveal").textContent = text.reveal;
  $("contact-reveal").hidden = !ofTeam;
  $("contact-details").replaceChildren();
}

async function revealContact() {
  $("packet-status").textContent = "";
  try {
    const details = await api(`/api/moderator/escalations/${state.selected}/contact/reveal`, { method: "POST" });
    $("contact-details").replaceChildren(...details.map((d) => {
      const li = document.createElement("li");
      li.textContent = `${contactText()[d.kind] || d.kind}: ${d.value}`;
      return li;
    }));
    $("contact-reveal").hidden = true;
  } catch (error) { $("packet-status").textContent = error.message; }
}

async function act(path, body) {
  $("packet-status").textContent = "";
  try {
    const done = await api(`/api/moderator/escalations/${state.selected}/${path}`, { method: "POST", body: body ? JSON.stringify(body) : undefined });
    await select(state.selected).catch((error) => { if (error.status === 404) closePacket(); else throw error; });
    await loadQueue();
    // A reply or note with personal data in it: the server says, in the console's language, what it left out.
    if (done.notice) $("packet-status").textContent = done.notice;
  } catch (error) { $("packet-status").textContent = error.message; }
}

$("claim").addEventListener("click", () => act("claim"));
$("contact-reveal").addEventListener("click", revealContact);
$("resolve").addEventListener("click", () => act("resolve"));
$("hand-back").addEventListener("click", () => act("hand-back"));
$("reassign").addEventListener("click", () => act("reassign", { team: $("reassign-team").value }));
$("reply").addEventListener("submit", async (event) => {
  event.preventDefault();
  await act("messages", { text: $("reply-text").value, language: consoleLanguage() });
  $("reply-text").value = "";
});
$("note").addEventListener("submit", async (event) => {
  event.preventDefault();
  await act("notes", { text: $("note-text").value, language: consoleLanguage() });
  $("note-text").value = "";
});
$("logout").addEventListener("click", async () => { await fetch("/api/auth/logout", { method: "POST" }); location.href = "/login"; });
document.querySelectorAll("#filters select").forEach((s) => s.addEventListener("change", loadQueue));

async function start() {
  const me = await api("/api/auth/me");
  $("me").textContent = me.display_name;
  $("admin-link").hidden = !me.roles.includes("admin");
  state.teams = me.teams || [];
  const teams = await api("/api/moderator/teams");
  for (const team of teams) {
    for (const select of [$("filter-team"), $("reassign-team")]) {
      const option = document.createElement("option");
      option.value = team.id; option.textContent = team.name;
      select.append(option);
    }
  }
  await loadQueue();
  // New escalations and the citizen's new messages arrive while the console is open.
  setInterval(async () => {
    await loadQueue().catch(() => {});
    if (state.selected !== null) {
      // Only what is new since the last message shown: the transcript is not sent again.
      const selected = state.selected;
      const packet = await api(`/api/moderator/escalations/${selected}?after=${state.lastMessageId}`)
        .catch((error) => { if (error.status === 404 && state.selected === selected) closePacket(); return null; });
      if (packet && state.selected === selected) packet.transcript.filter((m) => m.id > state.lastMessageId).forEach(renderMessage);
    }
  }, 3000);
}
start();
