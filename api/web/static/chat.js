// Citizen chat page: talks only to the api's chat gateway (/api/chat/...).
"use strict";

const TEXT = {
  nl: { title: "Stel uw vraag aan de gemeente", label: "Uw bericht", send: "Verstuur",
        placeholder: "Typ uw vraag, bijvoorbeeld: wat kost een paspoort?",
        privacy: "Deel geen BSN, bankgegevens of medische informatie in deze chat.",
        bot: "Digitale assistent", moderator: "Medewerker", citizen: "U", system: "Melding",
        sources: "Bron", failed: "Versturen lukte niet. Probeer het opnieuw.",
        reconnecting: "Geen verbinding met de gemeente. We proberen het opnieuw…",
        deleteButton: "Gesprek verwijderen",
        deleteQuestion: "Wilt u dit gesprek verwijderen? Alles wat u en de gemeente hierin schreven wordt gewist, ook een melding of een vraag aan een medewerker. Dit kan niet ongedaan worden gemaakt.",
        deleteConfirm: "Ja, verwijderen", deleteCancel: "Annuleren",
        deleted: "Uw gesprek is verwijderd.", deleteFailed: "Verwijderen lukte niet. Probeer het opnieuw.",
        olderButton: "Eerdere berichten tonen", newButton: "Nieuw gesprek beginnen",
        contactIntro: "We bewaren uw contactgegevens versleuteld. Alleen het team dat uw melding of klacht behandelt ziet ze.",
        contactEmail: "E-mailadres", contactPhone: "Telefoonnummer", contactSend: "Versturen",
        contactAnonymous: "Liever anoniem", contactType: "Liever een bericht typen" },
  en: { title: "Ask the municipality", label: "Your message", send: "Send",
        placeholder: "Type your question, for example: how much is a passport?",
        privacy: "Do not share your citizen service number, bank details or medical information in this chat.",
        bot: "Digital assistant", moderator: "Colleague", citizen: "You", system: "Notice",
        sources: "Source", failed: "Sending failed. Please try again.",
        reconnecting: "No connection to the municipality. Trying again…",
        deleteButton: "Delete conversation",
        deleteQuestion: "Do you want to delete this conversation? Everything you and the municipality wrote in it is erased, including a report or a question for a member of staff. This cannot be undone.",
        deleteConfirm: "Yes, delete", deleteCancel: "Cancel",
        deleted: "Your conversation has been deleted.", deleteFailed: "Deleting failed. Please try again.",
        olderButton: "Show earlier messages", newButton: "Start a new conversation",
        contactIntro: "We store your contact details encrypted. Only the team that handles your report or complaint sees them.",
        contactEmail: "E-mail address", contactPhone: "Phone number", contactSend: "Send",
        contactAnonymous: "Stay anonymous", contactType: "Type a message instead" },
};

// lastId: the newest message shown (polls ask for what came after it); firstId: the oldest shown
// (the "earlier messages" button asks for what came before it); loaded: the transcript was read.
const state = { conversationId: sessionStorage.getItem("loket.conversation"), language: sessionStorage.getItem("loket.language") || "nl",
  lastId: 0, firstId: null, loaded: false, chosen: false,
  open: true, step: null };  // open: the chat takes messages; step: the contact step the bot asks for
// Messages per request: the page reads a long conversation a page at a time (the api's default).
const PAGE = 100;
const list = document.getElementById("messages");
const form = document.getElementById("composer");
const input = document.getElementById("message");
const statusLine = document.getElementById("status");
const sendButton = document.getElementById("send");
const deleteButton = document.getElementById("delete-conversation");
const confirmDelete = document.getElementById("confirm-delete");
const olderButton = document.getElementById("load-older");
const newButton = document.getElementById("new-conversation");

function applyLanguage(language) {
  state.language = language;
  sessionStorage.setItem("loket.language", language);
  document.documentElement.lang = language;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = TEXT[language][el.dataset.i18n]; });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = TEXT[language][el.dataset.i18nPlaceholder]; });
  document.querySelectorAll("[data-language]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.language === language)));
}

function messageItem(message) {
  const item = document.createElement("li");
  item.className = `message ${message.author}`;
  item.dataset.id = message.id;
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = TEXT[state.language][message.author] || message.author;
  const body = document.createElement("span");
  body.className = "text";
  if (message.html) body.innerHTML = message.html;  // rendered and escaped by the server
  else body.textContent = message.text;
  item.append(author, body);
  if (message.sources && message.sources.length) {
    const sources = document.createElement("ul");
    sources.className = "sources";
    for (const source of message.sources) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = source.url;
      link.target = "_blank";
      link.rel = "noopener";
      const where = source.heading ? `${source.title} › ${source.heading}` : source.title;
      link.textContent = `${TEXT[state.language].sources}: ${where}`;
      li.append(link);
      sources.append(li);
    }
    item.append(sources);
  }
  return item;
}

function render(message) {
  if (message.id <= state.lastId) return;
  state.lastId = message.id;
  if (state.firstId === null) state.firstId = message.id;
  const item = messageItem(message);
  list.append(item);
  item.scrollIntoView({ block: "end" });
}

// A full page may have more before it: the button reads the page before the oldest message shown.
function showOlder(page) {
  olderButton.hidden = page.length < PAGE;
}

async function loadOlder() {
  const id = state.conversationId;
  if (!id || state.firstId === null) return;
  olderButton.disabled = true;
  try {
    const page = await api(`/api/chat/conversations/${id}/messages?before=${state.firstId}&limit=${PAGE}`);
    if (state.conversationId !== id) return;
    if (page.length) state.firstId = page[0].id;
    list.prepend(...page.map(messageItem));
    showOlder(page);
  } catch (error) { setStatus(TEXT[state.language].failed); }
  finally { olderButton.disabled = false; }
}

class ApiError extends Error {
  constructor(message, status, retryAfter) { super(message); this.status = status; this.retryAfter = retryAfter; }
}

async function api(path, options = {}) {
  const { headers, ...rest } = options;
  const response = await fetch(path, { headers: { "Content-Type": "application/json", ...headers }, ...rest });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body.detail && typeof body.detail === "string" ? body.detail : TEXT[state.language].failed;
    const error = new ApiError(message, response.status, Number(response.headers.get("Retry-After")) || 2);
    // The chat is switched off (503): nothing was kept, a retry is refused the same way.
    error.switchedOff = response.headers.get("Loket-Switched-Off") === "chat";
    // Past a rate limit (429): not sent again by itself, see pauseSending.
    error.rateLimited = response.headers.get("Loket-Rate-Limited") === "true";
    // The conversation reached its maximum length (409): the page offers a new one.
    error.conversationFull = response.headers.get("Loket-Conversation-Full") === "true";
    throw error;
  }
  return body;
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
// Busy (429) or the assistant briefly away (503): the message is sent again by itself, under the
// same key, so the server stores and answers it once however often it arrives.
const RETRYABLE = new Set([429, 503]);
const MAX_ATTEMPTS = 8;

// crypto.randomUUID exists on HTTPS and localhost only; getRandomValues everywhere.
function messageKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// `contact` ({email, phone}): the form's contact step, which keeps it out of the messages.
async function sendOnce(text, key, contact = null) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api(`/api/chat/conversations/${state.conversationId}/${contact ? "contact" : "messages"}`, {
        method: "POST", headers: { "Idempotency-Key": key },
        body: JSON.stringify({ ...(contact || { text }), language: state.chosen ? state.language : null }) });
    } catch (error) {
      // A network failure (fetch's TypeError) is retried too: the key makes it count once.
      const network = !(error instanceof ApiError);
      if ((!network && (!RETRYABLE.has(error.status) || error.switchedOff || error.rateLimited)) || attempt >= MAX_ATTEMPTS) {
        throw network ? new Error(TEXT[state.language].failed) : error;
      }
      // Busy and unavailable replies carry the server's own text (data/handoff_messages.yml).
      setStatus(network ? TEXT[state.language].reconnecting : error.message);
      await sleep(Math.min((network ? 1 : error.retryAfter) * attempt, 15));
    }
  }
}

function setStatus(text, done = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("done", done);
}

// The delete button is there while there is a conversation to delete.
function setConversation(id) {
  state.conversationId = id;
  state.loaded = false;
  if (id) sessionStorage.setItem("loket.conversation", id);
  else sessionStorage.removeItem("loket.conversation");
  deleteButton.hidden = !id;
}

// Empty the page for another conversation (or none).
function clearTranscript() {
  state.lastId = 0;
  state.firstId = null;
  list.replaceChildren();
  olderButton.hidden = true;
  newButton.hidden = true;
  showStep(null);
}

// The conversation of this tab, read once: its latest page (earlier ones on request), else a new one.
async function ensureConversation() {
  if (state.conversationId && state.loaded) return;
  if (state.conversationId) {
    try {
      const page = await api(`/api/chat/conversations/${state.conversationId}/messages?limit=${PAGE}`);
      page.forEach(render);
      showOlder(page);
      state.loaded = true;
      deleteButton.hidden = false;
      return;
    } catch (error) { setConversation(null); clearTranscript(); }
  }
  const created = await api("/api/chat/conversations", { method: "POST", body: JSON.stringify({ language: state.language }) });
  setConversation(created.conversation_id);
  state.loaded = true;
}

// A conversation that reached its maximum length (409) takes no more messages: the citizen starts a
// new one here; the text they typed stays in the input.
function startNewConversation() {
  setConversation(null);
  clearTranscript();
  setStatus("");
  input.focus();
}

// The citizen deletes the conversation from every store (DELETE, same key as reading it); the page
// then starts clean. Already gone (404) ends the same way.
async function deleteConversation() {
  const id = state.conversationId;
  if (!id) return;
  setStatus("");
  deleteButton.disabled = true;
  try {
    const response = await fetch(`/api/chat/conversations/${id}`, { method: "DELETE" });
    if (!response.ok && response.status !== 404) throw new Error(String(response.status));
    setConversation(null);
    clearTranscript();
    setStatus(TEXT[state.language].deleted, true);
  } catch (error) {
    setStatus(TEXT[state.language].deleteFailed);
  } finally {
    deleteButton.disabled = false;
  }
}

// Past a rate limit the server's text stays on screen, the message stays in the box, and the send
// button comes back once Retry-After has passed: the citizen sends it again then.
let pause = null;
function pauseSending(seconds) {
  clearTimeout(pause);
  sendButton.disabled = true;
  pause = setTimeout(() => { pause = null; sendButton.disabled = false; setStatus(""); }, seconds * 1000);
}

async function send(text, contact = null) {
  setStatus("");
  sendButton.disabled = true;
  try {
    await ensureConversation();
    let turn;
    try {
      turn = await sendOnce(text, messageKey(), contact);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      // The conversation is gone (removed after its retention period): continue in a new one.
      setConversation(null);
      clearTranscript();
      await ensureConversation();
      turn = await sendOnce(text, messageKey(), contact);
    }
    setStatus("");
    turn.messages.forEach(render);
    showStep(turn.expects);
    if (turn.language !== state.language) applyLanguage(turn.language);
    return true;
  } catch (error) {
    if (error.switchedOff) { showChat(false, error.message); setStatus(""); return false; }
    setStatus(error.message);
    if (error.conversationFull) newButton.hidden = false;
    if (error.rateLimited) pauseSending(error.retryAfter);
    return false;
  } finally {
    sendButton.disabled = pause !== null;
  }
}

// An admin can switch the chat off: the page then shows the server's text (the municipality's contact
// route and the crisis help lines) instead of the message box. A conversation a person holds goes on.
const chatOff = document.getElementById("chat-off");
function showChat(open, message) {
  state.open = open;
  form.hidden = !open || state.step !== null;
  contactStep.hidden = !open || state.step === null;
  chatOff.hidden = open;
  chatOff.textContent = open ? "" : message;
}

// When the bot asks for a form's contact, the page asks for it in fields of its own instead of the
// message box (api/services/contact_details.py): the address goes to the case's team, encrypted, and
// is in no message. "Stay anonymous" appears where the form allows it; typing stays possible.
const contactStep = document.getElementById("contact-step");
const contactEmail = document.getElementById("contact-email");
const contactPhone = document.getElementById("contact-phone");
const contactAnonymous = document.getElementById("contact-anonymous");
function showStep(expects) {
  state.step = expects && expects.kind === "contact" ? expects : null;
  contactAnonymous.hidden = !(state.step && state.step.optional);
  showChat(state.open, chatOff.textContent);
  if (state.step) contactEmail.focus();
}

async function sendContact() {
  const contact = { email: contactEmail.value.trim() || null, phone: contactPhone.value.trim() || null };
  contactStep.querySelectorAll("button").forEach((button) => { button.disabled = true; });
  try {
    // On a wrong address the fields stay filled and the status line says what is wrong.
    if (await send("", contact)) { contactEmail.value = ""; contactPhone.value = ""; }
  } finally {
    contactStep.querySelectorAll("button").forEach((button) => { button.disabled = false; });
  }
}

async function checkStatus() {
  const query = new URLSearchParams({ language: state.language });
  if (state.conversationId) query.set("conversation_id", state.conversationId);
  try {
    const status = await api(`/api/chat/status?${query}`);
    showChat(status.open, status.message);
  } catch (error) { /* asked again on the next tick */ }
}

// Replies from a person arrive without a request of the citizen's: poll for them.
async function poll() {
  const id = state.conversationId;
  if (!id || !state.loaded) return;  // the latest page comes first (ensureConversation), then what is new
  try {
    // Only what came after the newest message shown; a full page means there may be more.
    for (;;) {
      const messages = await api(`/api/chat/conversations/${id}/messages?after=${state.lastId}&limit=${PAGE}`);
      if (state.conversationId !== id) return;  // a conversation deleted or replaced meanwhile
      messages.forEach(render);
      if (messages.length < PAGE) return;
    }
  } catch (error) { /* a failed poll is retried on the next tick */ }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text || pause !== null) return;  // Enter while paused: the status line already says why
  if (await send(text)) input.value = "";
  input.focus();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
});
deleteButton.addEventListener("click", () => confirmDelete.showModal());
olderButton.addEventListener("click", loadOlder);
newButton.addEventListener("click", startNewConversation);
contactStep.addEventListener("submit", (event) => { event.preventDefault(); sendContact(); });
contactAnonymous.addEventListener("click", () => send(TEXT[state.language].contactAnonymous));
document.getElementById("contact-type").addEventListener("click", () => { showStep(null); input.focus(); });
document.getElementById("confirm-delete-cancel").addEventListener("click", () => confirmDelete.close());
document.getElementById("confirm-delete-yes").addEventListener("click", () => {
  confirmDelete.close();
  deleteConversation();
});
document.querySelectorAll("[data-language]").forEach((button) => button.addEventListener("click", () => {
  state.chosen = true;
  applyLanguage(button.dataset.language);
  if (form.hidden) checkStatus();  // the chat-off text in the language chosen
}));

applyLanguage(state.language);
if (state.conversationId) ensureConversation().catch(() => {});
setInterval(poll, 3000);
checkStatus();
setInterval(checkStatus, 15000);
