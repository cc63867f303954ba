// Admin page: the citizen chat's kill switches, accounts and the audit log, over /api/admin/*.
// Dutch first; every text a person reads is in both languages below, codes never reach the page.
"use strict";

const TEXT = {
  nl: {
    title: "Beheer", logout: "Uitloggen", cancel: "Annuleren", failed: "Er ging iets mis. Probeer het opnieuw.",
    denied: "Geen toegang. Deze pagina is alleen voor beheerders.",
    switchesTitle: "Chat",
    switchesHint: "Zet de chat voor inwoners of een deel ervan direct uit. Inwoners krijgen dan de contactgegevens van de gemeente; hulp bij een crisis (113/112) blijft altijd werken.",
    switchColumn: "Onderdeel", stateColumn: "Stand", changedColumn: "Laatst gewijzigd", reasonColumn: "Reden",
    actionsColumn: "Acties",
    switchNames: { chat: "Hele chat", answers: "Antwoorden uit de website", forms: "Formulieren (meldingen en klachten)" },
    on: "Aan", off: "Uit", neverChanged: "nooit gewijzigd", changedBy: "{when} door {who}",
    switchOff: "Uitzetten", switchOn: "Aanzetten",
    switchOffQuestion: "{name} uitzetten? Inwoners krijgen direct de contactgegevens van de gemeente in plaats daarvan.",
    switchOnQuestion: "{name} weer aanzetten?",
    reason: "Reden (komt in de auditlog)",
    switchedOff: "{name} staat nu uit.", switchedOn: "{name} staat nu aan.",
    usersTitle: "Accounts", usernameColumn: "Gebruikersnaam", displayNameColumn: "Naam", rolesColumn: "Rollen",
    teamsColumn: "Teams", activeColumn: "Status", active: "actief", disabled: "uitgeschakeld",
    roleNames: { moderator: "Moderator", staff: "Medewerker", admin: "Beheerder" },
    disable: "Uitschakelen", enable: "Inschakelen", revoke: "Sessies en tokens intrekken",
    resetPassword: "Nieuw wachtwoord", changeAccess: "Rollen en teams",
    disableQuestion: "Account {user} uitschakelen? Het kan niet meer inloggen, de sessies eindigen en de API-tokens worden ingetrokken.",
    revokeQuestion: "Alle sessies en API-tokens van {user} intrekken? Het account blijft actief.",
    disabledDone: "{user} is uitgeschakeld: {sessions} sessie(s) beëindigd, {tokens} API-token(s) ingetrokken.",
    enabledDone: "{user} is weer actief.",
    revokedDone: "Van {user} zijn {sessions} sessie(s) beëindigd en {tokens} API-token(s) ingetrokken.",
    passwordDone: "{user} heeft een nieuw wachtwoord; {sessions} sessie(s) beëindigd.",
    accessDone: "De rollen en teams van {user} zijn gewijzigd.", createdDone: "Account {user} is aangemaakt.",
    passwordTitle: "Nieuw wachtwoord voor {user}", accessTitle: "Rollen en teams van {user}",
    newPassword: "Nieuw wachtwoord", passwordAgain: "Wachtwoord nogmaals",
    resetHint: "De sessies van dit account eindigen; API-tokens blijven werken.",
    resetButton: "Wachtwoord instellen", saveButton: "Opslaan",
    passwordsDiffer: "De twee wachtwoorden zijn niet gelijk.", noRole: "Kies minstens één rol.",
    createTitle: "Account aanmaken", createButton: "Account aanmaken", username: "Gebruikersnaam",
    displayName: "Naam (zoals collega's en inwoners die zien)", password: "Wachtwoord", roles: "Rollen", teams: "Teams",
    passwordRule: "Minstens 12 tekens en moeilijk te raden, bijvoorbeeld drie of vier ongewone woorden.",
    fields: { username: "Gebruikersnaam", display_name: "Naam", password: "Wachtwoord", roles: "Rollen", teams: "Teams" },
    problems: { missing: "ontbreekt", string_too_short: "is te kort", string_too_long: "is te lang",
                too_short: "kies er minstens één", too_long: "te veel gekozen", literal_error: "onbekende waarde",
                invalid: "is niet geldig" },
    errors: {
      username_invalid: "Een gebruikersnaam heeft 1 tot 64 tekens.", display_name_too_long: "Een naam heeft hoogstens 128 tekens.",
      username_taken: "Er is al een account met deze gebruikersnaam. Kies een andere.",
      own_account_disable: "U kunt uw eigen account niet uitschakelen.",
      own_admin_role: "U kunt uw eigen account de rol Beheerder niet afnemen.",
      unknown_user: "Dit account bestaat niet (meer). Laad de pagina opnieuw.", unknown_role: "Onbekende rol.",
      unknown_team: "Onbekend team: {teams}.",
      password_too_short: "Een wachtwoord heeft minstens {min_length} tekens.",
      password_too_long: "Een wachtwoord heeft hoogstens {max_length} tekens.",
      password_too_weak: "Dit wachtwoord is te makkelijk te raden (sterkte {score} van 4, minstens {min_score} nodig).",
    },
    weaknesses: {
      common_password: "Het lijkt op een veelgebruikt wachtwoord.",
      personal_words: "Het bevat de gebruikersnaam of de naam van het account.",
      names: "Het bevat een veelvoorkomende voor- of achternaam.", common_words: "Het bevat een veelvoorkomend woord.",
      predictable_substitutions: "Voorspelbare vervangingen, zoals '@' voor 'a', maken het nauwelijks moeilijker.",
      reversed_words: "Een woord achterstevoren is nauwelijks moeilijker te raden.",
      keyboard_pattern: "Het bevat een patroon van toetsen naast elkaar, zoals 'qwerty' of 'asdf'.",
      repeats: "Het bevat herhalingen, zoals 'aaa' of 'abcabc'.", sequence: "Het bevat een reeks, zoals 'abc' of '1234'.",
      dates: "Het bevat een datum of jaartal.",
    },
    auditTitle: "Auditlog", auditAction: "Actie", allActions: "Alle acties", auditCsv: "Download als CSV",
    auditHint: "De laatste 100 regels, nieuwste bovenaan.", timeColumn: "Tijd", actorColumn: "Door",
    actionColumn: "Actie", targetColumn: "Betreft", detailsColumn: "Details", noEntries: "Geen regels.",
    actions: {
      "user.created": "Account aangemaakt", "user.disabled": "Account uitgeschakeld",
      "user.enabled": "Account weer ingeschakeld", "user.password_reset": "Wachtwoord opnieuw ingesteld",
      "user.access_revoked": "Sessies en tokens ingetrokken", "user.access_changed": "Rollen of teams gewijzigd",
      "user.login": "Ingelogd", "user.login_failed": "Mislukte inlogpoging", "user.logout": "Uitgelogd",
      "user.login_throttled": "Inloggen geweigerd: te veel pogingen",
      "token.created": "API-token aangemaakt", "token.revoked": "API-token ingetrokken",
      "chat_switch.set": "Chatschakelaar omgezet",
      "escalation.claim": "Escalatie opgepakt", "escalation.reply": "Antwoord aan inwoner",
      "escalation.note": "Interne notitie", "escalation.reassign": "Doorgezet naar ander team",
      "escalation.resolve": "Escalatie afgehandeld", "escalation.hand_back": "Teruggegeven aan de bot",
      "escalation.packet_read": "Overdrachtsdossier gelezen", "contact.revealed": "Contactgegevens getoond",
      "document.shown": "Intern document getoond in zoekresultaat", "document.opened": "Intern document geopend",
      "conversation.erased": "Gesprek gewist", "conversation.exported": "Gesprek geëxporteerd",
      "retention.run": "Bewaartermijnen toegepast",
    },
    targets: { user: "account", api_token: "API-token", escalation: "escalatie", conversation: "gesprek",
               chat_switch: "onderdeel", document: "document", retention: "bewaartermijnen" },
    loginFailures: { unknown_user: "onbekende gebruikersnaam", wrong_password: "onjuist wachtwoord",
                     disabled: "account uitgeschakeld" },
    loginLimits: { client: "te veel pogingen vanaf dit adres", username_and_client: "te veel mislukte pogingen voor dit account vanaf dit adres",
                   username: "te veel mislukte pogingen voor dit account vanaf alle adressen samen" },
    ended: "{sessions} sessie(s), {tokens} API-token(s)", noTeams: "–",
  },
  en: {
    title: "Administration", logout: "Log out", cancel: "Cancel", failed: "Something went wrong. Please try again.",
    denied: "No access. This page is for administrators only.",
    switchesTitle: "Chat",
    switchesHint: "Switch the citizens' chat, or a part of it, off at once. Citizens then get the municipality's contact details; crisis help (113/112) always keeps working.",
    switchColumn: "Part", stateColumn: "State", changedColumn: "Last changed", reasonColumn: "Reason",
    actionsColumn: "Actions",
    switchNames: { chat: "Whole chat", answers: "Answers from the website", forms: "Forms (reports and complaints)" },
    on: "On", off: "Off", neverChanged: "never changed", changedBy: "{when} by {who}",
    switchOff: "Switch off", switchOn: "Switch on",
    switchOffQuestion: "Switch off {name}? Citizens get the municipality's contact details instead, at once.",
    switchOnQuestion: "Switch {name} on again?",
    reason: "Reason (goes into the audit log)",
    switchedOff: "{name} is now off.", switchedOn: "{name} is now on.",
    usersTitle: "Accounts", usernameColumn: "Username", displayNameColumn: "Name", rolesColumn: "Roles",
    teamsColumn: "Teams", activeColumn: "Status", active: "active", disabled: "disabled",
    roleNames: { moderator: "Moderator", staff: "Staff member", admin: "Administrator" },
    disable: "Disable", enable: "Enable", revoke: "Revoke sessions and tokens",
    resetPassword: "New password", changeAccess: "Roles and teams",
    disableQuestion: "Disable account {user}? It can no longer log in, its sessions end and its API tokens are revoked.",
    revokeQuestion: "Revoke all sessions and API tokens of {user}? The account stays active.",
    disabledDone: "{user} is disabled: {sessions} session(s) ended, {tokens} API token(s) revoked.",
    enabledDone: "{user} is active again.",
    revokedDone: "{sessions} session(s) of {user} ended and {tokens} API token(s) revoked.",
    passwordDone: "{user} has a new password; {sessions} session(s) ended.",
    accessDone: "The roles and teams of {user} have changed.", createdDone: "Account {user} has been created.",
    passwordTitle: "New password for {user}", accessTitle: "Roles and teams of {user}",
    newPassword: "New password", passwordAgain: "Password again",
    resetHint: "This account's sessions end; its API tokens keep working.",
    resetButton: "Set password", saveButton: "Save",
    passwordsDiffer: "The two passwords differ.", noRole: "Choose at least one role.",
    createTitle: "Create an account", createButton: "Create account", username: "Username",
    displayName: "Name (as colleagues and citizens see it)", password: "Password", roles: "Roles", teams: "Teams",
    passwordRule: "At least 12 characters and hard to guess, for example three or four uncommon words.",
    fields: { username: "Username", display_name: "Name", password: "Password", roles: "Roles", teams: "Teams" },
    problems: { missing: "is missing", string_too_short: "is too short", string_too_long: "is too long",
                too_short: "choose at least one", too_long: "too many chosen", literal_error: "unknown value",
                invalid: "is not valid" },
    errors: {
      username_invalid: "A username has 1 to 64 characters.", display_name_too_long: "A name has at most 128 characters.",
      username_taken: "There is already an account with this username. Choose another one.",
      own_account_disable: "You cannot disable your own account.",
      own_admin_role: "You cannot take the Administrator role from your own account.",
      unknown_user: "This account does not exist (any more). Reload the page.", unknown_role: "Unknown role.",
      unknown_team: "Unknown team: {teams}.",
      password_too_short: "A password has at least {min_length} characters.",
      password_too_long: "A password has at most {max_length} characters.",
      password_too_weak: "This password is too easy to guess (strength {score} of 4, at least {min_score} needed).",
    },
    weaknesses: {
      common_password: "It resembles a commonly used password.",
      personal_words: "It contains the account's username or name.",
      names: "It contains a common first name or surname.", common_words: "It contains a common word.",
      predictable_substitutions: "Predictable substitutions, such as '@' for 'a', hardly make it harder.",
      reversed_words: "A word spelled backwards is hardly harder to guess.",
      keyboard_pattern: "It contains a pattern of neighbouring keys, such as 'qwerty' or 'asdf'.",
      repeats: "It contains repeats, such as 'aaa' or 'abcabc'.", sequence: "It contains a sequence, such as 'abc' or '1234'.",
      dates: "It contains a date or a year.",
    },
    auditTitle: "Audit log", auditAction: "Action", allActions: "All actions", auditCsv: "Download as CSV",
    auditHint: "The latest 100 entries, newest first.", timeColumn: "Time", actorColumn: "By",
    actionColumn: "Action", targetColumn: "Concerns", detailsColumn: "Details", noEntries: "No entries.",
    actions: {
      "user.created": "Account created", "user.disabled": "Account disabled", "user.enabled": "Account enabled again",
      "user.password_reset": "Password reset", "user.access_revoked": "Sessions and tokens revoked",
      "user.access_changed": "Roles or teams changed", "user.login": "Logged in", "user.login_failed": "Failed login",
      "user.login_throttled": "Login refused: too many attempts",
      "user.logout": "Logged out", "token.created": "API token created", "token.revoked": "API token revoked",
      "chat_switch.set": "Chat switch changed",
      "escalation.claim": "Escalation claimed", "escalation.reply": "Reply to the citizen",
      "escalation.note": "Internal note", "escalation.reassign": "Reassigned to another team",
      "escalation.resolve": "Escalation resolved", "escalation.hand_back": "Handed back to the bot",
      "escalation.packet_read": "Handoff packet read", "contact.revealed": "Contact details shown",
      "document.shown": "Internal document shown in search results", "document.opened": "Internal document opened",
      "conversation.erased": "Conversation erased", "conversation.exported": "Conversation exported",
      "retention.run": "Retention periods applied",
    },
    targets: { user: "account", api_token: "API token", escalation: "escalation", conversation: "conversation",
               chat_switch: "part", document: "document", retention: "retention" },
    loginFailures: { unknown_user: "unknown username", wrong_password: "wrong password", disabled: "account disabled" },
    loginLimits: { client: "too many attempts from this address", username_and_client: "too many failures for this account from this address",
                   username: "too many failures for this account from all addresses together" },
    ended: "{sessions} session(s), {tokens} API token(s)", noTeams: "–",
  },
};
const ROLES = ["staff", "moderator", "admin"];
const AUDIT_LIMIT = 100;

const $ = (id) => document.getElementById(id);
// teams: language -> [{id, name}] of the municipality's own teams (the only ones an account may have).
const state = { language: localStorage.getItem("loket.staffLanguage") === "en" ? "en" : "nl", me: null,
  denied: false, switches: [], users: [], audit: [], teams: { nl: [], en: [] }, pending: null };
const t = (key) => TEXT[state.language][key];
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));

// A refusal: its `code` and figures are worded below; the api's `detail` sentence is English, for
// API clients, and never shown (only a 422's list of fields is read).
class ApiError extends Error {
  constructor(status, content) {
    super(content && content.code ? String(content.code) : "");
    this.status = status;
    this.detail = content ? content.detail : null;
    this.content = content || {};
  }
}

async function api(path, { method = "GET", body } = {}) {
  const options = { method };
  if (body !== undefined) {
    options.headers = { "Content-Type": "application/json" };
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent("/admin")}`;
    throw new ApiError(401, null);
  }
  const content = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, content);
  return content;
}

// An API refusal as sentences: its code in words (a weak password with what makes it weak), or one
// line per invalid field (a 422's list).
function showError(target, error) {
  target.replaceChildren();
  target.classList.remove("done");
  if (error instanceof ApiError && Array.isArray(error.detail)) {
    const list = document.createElement("ul");
    for (const problem of error.detail) {
      const field = (problem.loc || []).filter((part) => part !== "body").join(".");
      const item = document.createElement("li");
      item.textContent = `${t("fields")[field] || field}: ${t("problems")[problem.type] || t("problems").invalid}`;
      list.append(item);
    }
    target.append(list);
    return;
  }
  const content = error instanceof ApiError ? error.content : {};
  const template = t("errors")[content.code];
  const text = error instanceof ApiError && error.status === 403 ? t("denied")
    : template ? fill(template, { ...content, teams: teamList(content.teams) }) : t("failed");
  const line = document.createElement("p");
  line.textContent = text;
  target.append(line);
  if (content.code !== "password_too_weak") return;
  const reasons = document.createElement("ul");
  for (const weakness of content.weaknesses || []) {
    if (!t("weaknesses")[weakness]) continue;
    const item = document.createElement("li");
    item.textContent = t("weaknesses")[weakness];
    reasons.append(item);
  }
  const advice = document.createElement("p");
  advice.textContent = t("passwordRule");
  target.append(...(reasons.children.length ? [reasons] : []), advice);
}

// `done`: what happened (green); otherwise what is wrong (red).
function showMessage(target, text, done = true) {
  const line = document.createElement("p");
  line.textContent = text;
  target.replaceChildren(line);
  target.classList.toggle("done", done);
}

function cell(row, content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = content;
  row.append(td);
  return td;
}

function button(label, onClick, describedBy) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (describedBy) b.setAttribute("aria-describedby", describedBy);
  b.addEventListener("click", onClick);
  return b;
}

const when = (iso) => new Date(iso).toLocaleString(state.language === "en" ? "en-GB" : "nl-NL",
  { dateStyle: "short", timeStyle: "medium" });
const roleName = (role) => t("roleNames")[role] || role;
const switchName = (name) => t("switchNames")[name] || name;
const teamName = (id) => (state.teams[state.language].find((team) => team.id === id) || { name: id }).name;
const teamList = (ids) => (ids && ids.length ? ids.map(teamName).join(", ") : t("noTeams"));

// --- language -------------------------------------------------------------------------------------

function applyLanguage(language) {
  state.language = language;
  localStorage.setItem("loket.staffLanguage", language);
  document.documentElement.lang = language;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-language]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.language === language)));
  if (state.denied) $("denied").textContent = t("denied");
  renderSwitches();
  renderUsers();
  renderChoices($("new-roles"), "role", roleChoices(), checkedIn($("new-roles")));
  renderChoices($("new-teams"), "team", teamChoices(), checkedIn($("new-teams")));
  renderActionFilter();
  renderAudit();
  // Messages of the other language would stay behind.
  for (const id of ["switch-status", "users-status", "audit-status", "create-errors"]) $(id).replaceChildren();
}

// --- chat switches --------------------------------------------------------------------------------

function renderSwitches() {
  const body = $("switches");
  body.replaceChildren();
  for (const s of state.switches) {
    const row = document.createElement("tr");
    row.dataset.switch = s.name;
    row.className = s.on ? "on" : "off";
    const name = cell(row, switchName(s.name));
    name.id = `switch-${s.name}`;
    cell(row, s.on ? t("on") : t("off")).className = "state";
    cell(row, s.changed_at ? fill(t("changedBy"), { when: when(s.changed_at), who: s.changed_by || "" }) : t("neverChanged"));
    cell(row, s.reason || "–");
    cell(row, button(s.on ? t("switchOff") : t("switchOn"), () => askSwitch(s), name.id));
    body.append(row);
  }
}

async function loadSwitches() {
  state.switches = await api("/api/admin/switches");
  renderSwitches();
}

function askSwitch(setting) {
  state.pending = { name: setting.name, on: !setting.on };
  const name = switchName(setting.name);
  $("switch-question").textContent = fill(t(setting.on ? "switchOffQuestion" : "switchOnQuestion"), { name });
  $("switch-confirm").textContent = setting.on ? t("switchOff") : t("switchOn");
  $("switch-reason").value = "";
  $("switch-dialog").showModal();
}

$("switch-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { name, on } = state.pending;
  $("switch-dialog").close();
  try {
    state.switches = await api("/api/admin/switches", { method: "PUT", body: { [name]: on, reason: $("switch-reason").value.trim() } });
    renderSwitches();
    showMessage($("switch-status"), fill(t(on ? "switchedOn" : "switchedOff"), { name: switchName(name) }));
    await loadAudit();
  } catch (error) { showError($("switch-status"), error); }
});
$("switch-cancel").addEventListener("click", () => $("switch-dialog").close());

// --- accounts -------------------------------------------------------------------------------------

function renderUsers() {
  const body = $("users");
  body.replaceChildren();
  state.users.forEach((user, index) => {
    const row = document.createElement("tr");
    row.dataset.username = user.username;
    const name = cell(row, user.username);
    name.id = `user-${index}`;
    name.className = "nowrap";
    cell(row, user.display_name);
    cell(row, user.roles.map(roleName).join(", "));
    cell(row, teamList(user.teams));
    cell(row, user.active ? t("active") : t("disabled")).className = user.active ? "active" : "disabled";
    const actions = cell(row, "");
    actions.className = "row-actions";
    actions.append(
      user.active ? button(t("disable"), () => disableUser(user), name.id) : button(t("enable"), () => enableUser(user), name.id),
      button(t("revoke"), () => revokeUser(user), name.id),
      button(t("resetPassword"), () => askPassword(user), name.id),
      button(t("changeAccess"), () => askAccess(user), name.id),
    );
    body.append(row);
  });
}

async function loadUsers() {
  state.users = await api("/api/admin/users");
  renderUsers();
}

// After a change: the table and the audit log as they are now, and what happened in words.
async function changed(message) {
  await Promise.all([loadUsers(), loadAudit()]);
  showMessage($("users-status"), message);
}

async function userAction(run) {
  $("users-status").replaceChildren();
  try { await run(); } catch (error) { showError($("users-status"), error); }
}

function confirmStep(question, yesLabel) {
  const dialog = $("confirm-dialog");
  $("confirm-question").textContent = question;
  $("confirm-yes").textContent = yesLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true }));
}
$("confirm-yes").addEventListener("click", () => $("confirm-dialog").close("yes"));
$("confirm-cancel").addEventListener("click", () => $("confirm-dialog").close());

const path = (user, action) => `/api/admin/users/${encodeURIComponent(user.username)}${action ? `/${action}` : ""}`;

async function disableUser(user) {
  if (!(await confirmStep(fill(t("disableQuestion"), { user: user.username }), t("disable")))) return;
  await userAction(async () => {
    const ended = await api(path(user, "disable"), { method: "POST" });
    await changed(fill(t("disabledDone"), { user: user.username, sessions: ended.sessions_ended, tokens: ended.tokens_revoked }));
  });
}

async function enableUser(user) {
  await userAction(async () => {
    await api(path(user, "enable"), { method: "POST" });
    await changed(fill(t("enabledDone"), { user: user.username }));
  });
}

async function revokeUser(user) {
  if (!(await confirmStep(fill(t("revokeQuestion"), { user: user.username }), t("revoke")))) return;
  await userAction(async () => {
    const ended = await api(path(user, "revoke"), { method: "POST" });
    await changed(fill(t("revokedDone"), { user: user.username, sessions: ended.sessions_ended, tokens: ended.tokens_revoked }));
  });
}

function askPassword(user) {
  state.pending = user;
  $("password-title").textContent = fill(t("passwordTitle"), { user: user.username });
  $("password-form").reset();
  $("password-errors").replaceChildren();
  $("password-dialog").showModal();
}

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const user = state.pending;
  if ($("reset-password").value !== $("reset-password-again").value) {
    showMessage($("password-errors"), t("passwordsDiffer"), false);
    return;
  }
  try {
    const ended = await api(path(user, "reset-password"), { method: "POST", body: { password: $("reset-password").value } });
    $("password-form").reset();
    $("password-dialog").close();
    await userAction(() => changed(fill(t("passwordDone"), { user: user.username, sessions: ended.sessions_ended })));
  } catch (error) { showError($("password-errors"), error); }
});
$("password-cancel").addEventListener("click", () => { $("password-form").reset(); $("password-dialog").close(); });

function askAccess(user) {
  state.pending = user;
  $("access-title").textContent = fill(t("accessTitle"), { user: user.username });
  renderChoices($("access-roles"), "access-role", roleChoices(), new Set(user.roles));
  renderChoices($("access-teams"), "access-team", teamChoices(), new Set(user.teams));
  $("access-errors").replaceChildren();
  $("access-dialog").showModal();
}

$("access-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const user = state.pending;
  const roles = [...checkedIn($("access-roles"))];
  if (!roles.length) { showMessage($("access-errors"), t("noRole"), false); return; }
  try {
    await api(path(user), { method: "PATCH", body: { roles, teams: [...checkedIn($("access-teams"))] } });
    $("access-dialog").close();
    await userAction(() => changed(fill(t("accessDone"), { user: user.username })));
  } catch (error) { showError($("access-errors"), error); }
});
$("access-cancel").addEventListener("click", () => $("access-dialog").close());

// Checkboxes in a fieldset (its legend stays); `checked`: the values to tick.
function renderChoices(fieldset, name, choices, checked) {
  const legend = fieldset.querySelector("legend");
  fieldset.replaceChildren(legend);
  for (const choice of choices) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = name;
    box.value = choice.value;
    box.checked = checked.has(choice.value);
    label.append(box, ` ${choice.label}`);
    fieldset.append(label);
  }
}

const checkedIn = (fieldset) => new Set([...fieldset.querySelectorAll("input:checked")].map((box) => box.value));
const roleChoices = () => ROLES.map((role) => ({ value: role, label: roleName(role) }));
const teamChoices = () => state.teams[state.language].map((team) => ({ value: team.id, label: team.name }));

$("create").addEventListener("submit", async (event) => {
  event.preventDefault();
  const errors = $("create-errors");
  errors.replaceChildren();
  if ($("new-password").value !== $("new-password-again").value) { showMessage(errors, t("passwordsDiffer"), false); return; }
  const roles = [...checkedIn($("new-roles"))];
  if (!roles.length) { showMessage(errors, t("noRole"), false); return; }
  const body = { username: $("new-username").value.trim(), password: $("new-password").value, roles,
    teams: [...checkedIn($("new-teams"))], display_name: $("new-display-name").value.trim() || null };
  try {
    const created = await api("/api/admin/users", { method: "POST", body });
    $("create").reset();
    await userAction(() => changed(fill(t("createdDone"), { user: created.username })));
  } catch (error) { showError(errors, error); }
});

// --- audit log ------------------------------------------------------------------------------------

function renderActionFilter() {
  const select = $("audit-action");
  const chosen = select.value;
  const all = document.createElement("option");
  all.value = "";
  all.textContent = t("allActions");
  const actions = Object.entries(t("actions")).sort((a, b) => a[1].localeCompare(b[1], state.language));
  select.replaceChildren(all, ...actions.map(([code, label]) => {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = label;
    return option;
  }));
  select.value = chosen;
}

function target(entry) {
  if (entry.target_type === "chat_switch") return switchName(entry.target_id);
  if (entry.target_type === "escalation") return `${t("targets").escalation} #${entry.target_id}`;
  if (entry.target_type === "retention") return t("targets").retention;
  return `${t("targets")[entry.target_type] || entry.target_type} ${entry.target_id}`;
}

const access = (roles, teams) => [(roles || []).map(roleName).join(", "), teamList(teams)].join("; ");

// The details an admin needs to read an entry; the rest is in the CSV export.
function details(entry) {
  const d = entry.details || {};
  switch (entry.action) {
    case "chat_switch.set": return [d.on ? t("on") : t("off"), d.reason].filter(Boolean).join(": ");
    case "user.created": return access(d.roles, d.teams);
    case "user.access_changed": return d.after ? access(d.after.roles, d.after.teams) : "";
    case "user.login_failed": return t("loginFailures")[d.reason] || "";
    case "user.login_throttled": return t("loginLimits")[d.limit] || "";
    case "user.disabled": case "user.access_revoked": case "user.password_reset":
      return fill(t("ended"), { sessions: d.sessions_ended ?? 0, tokens: d.tokens_revoked ?? 0 });
    case "escalation.reassign": return `${teamName(d.from || "")} → ${teamName(d.to || "")}`;
    default: return "";
  }
}

function renderAudit() {
  const body = $("audit");
  body.replaceChildren();
  for (const entry of state.audit) {
    const row = document.createElement("tr");
    cell(row, when(entry.at)).className = "nowrap";
    cell(row, entry.actor).className = "nowrap";
    cell(row, t("actions")[entry.action] || entry.action);
    cell(row, target(entry));
    cell(row, details(entry));
    body.append(row);
  }
  if (!state.audit.length) {
    const row = document.createElement("tr");
    cell(row, t("noEntries")).colSpan = 5;
    body.append(row);
  }
}

async function loadAudit() {
  const params = new URLSearchParams({ limit: String(AUDIT_LIMIT) });
  const action = $("audit-action").value;
  if (action) params.set("action", action);
  state.audit = await api(`/api/admin/audit?${params}`);
  $("audit-csv").href = `/api/admin/audit.csv${action ? `?${new URLSearchParams({ action })}` : ""}`;
  renderAudit();
}

$("audit-filter").addEventListener("submit", (event) => event.preventDefault());
$("audit-action").addEventListener("change", () => loadAudit().catch((error) => showError($("audit-status"), error)));

// --- start ----------------------------------------------------------------------------------------

document.querySelectorAll("[data-language]").forEach((b) => b.addEventListener("click", () => applyLanguage(b.dataset.language)));
$("logout").addEventListener("click", async () => { await fetch("/api/auth/logout", { method: "POST" }); location.href = "/login"; });

async function loadTeams() {
  // Names in both languages; only the municipality's own teams (an account may have no other).
  const [nl, en] = await Promise.all(["nl", "en"].map((language) => api(`/api/moderator/teams?language=${language}`)));
  state.teams = { nl: nl.filter((team) => team.kind === "team"), en: en.filter((team) => team.kind === "team") };
}

async function start() {
  applyLanguage(state.language);
  state.me = await api("/api/auth/me");
  $("me").textContent = state.me.display_name;
  try {
    await loadSwitches();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error;
    state.denied = true;
    $("denied").textContent = t("denied");
    $("denied").hidden = false;
    return;
  }
  await loadTeams();
  await Promise.all([loadUsers(), loadAudit()]);
  applyLanguage(state.language);
  $("admin-content").hidden = false;
}
start().catch((error) => {
  if (error instanceof ApiError && error.status === 401) return;  // on the way to the login page
  showError($("denied"), error);
  $("denied").hidden = false;
});
