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
        deleted: "Uw gesprek is verwijderd.", deleteFailed: "Verwijderen lukte niet. Probeer het opnieuw." },
  en: { title: "Ask the municipality", label: "Your message", send: "Send",
        placeholder: "Type your question, for example: how much is a passport?",
        privacy: "Do not share your citizen service number, bank details or medical information in this chat.",
        bot: "Digital assistant", moderator: "Colleague", citizen: "You", system: "Notice",
        sources: "Source", failed: "Sending failed. Please try again.",
        reconnecting: "No connection to the municipality. Trying again…",
        deleteButton: "Delete conversation",
        deleteQuestion: "Do you want to delete this conversation? Everything you and the municipality wrote in it is erased, including a report or a question for a member of staff. This cannot be undone.",
        deleteConfirm: "Yes, delete", deleteCancel: "Cancel",
        deleted: "Your conversation has been deleted.", deleteFailed: "Deleting failed. Please try again." },
};

const state = { conversationId: sessionStorage.getItem("loket.conversation"), language: sessionStorage.getItem("loket.language") || "nl", lastId: 0, chosen: false };
const list = document.getElementById("messages");
const form = document.getElementById("composer");
const input = document.getElementById("message");
const statusLine = document.getElementById("status");
const sendButton = document.getElementById("send");
const deleteButton = document.getElementById("delete-conversation");
const confirmDelete = document.getElementById("confirm-delete");

function applyLanguage(language) {
  state.language = language;
  sessionStorage.setItem("loket.language", language);
  document.documentElement.lang = language;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = TEXT[language][el.dataset.i18n]; });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = TEXT[language][el.dataset.i18nPlaceholder]; });
  document.querySelectorAll("[data-language]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.language === language)));
}

function render(message) {
  if (message.id <= state.lastId) return;
  state.lastId = message.id;
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
  list.append(item);
  item.scrollIntoView({ block: "end" });
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
    throw new ApiError(message, response.status, Number(response.headers.get("Retry-After")) || 2);
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

async function sendOnce(text, key) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api(`/api/chat/conversations/${state.conversationId}/messages`, {
        method: "POST", headers: { "Idempotency-Key": key },
        body: JSON.stringify({ text, language: state.chosen ? state.language : null }) });
    } catch (error) {
      // A network failure (fetch's TypeError) is retried too: the key makes it count once.
      const network = !(error instanceof ApiError);
      if ((!network && !RETRYABLE.has(error.status)) || attempt >= MAX_ATTEMPTS) {
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
  if (id) sessionStorage.setItem("loket.conversation", id);
  else sessionStorage.removeItem("loket.conversation");
  deleteButton.hidden = !id;
}

async function ensureConversation() {
  if (state.conversationId) {
    try {
      (await api(`/api/chat/conversations/${state.conversationId}/messages`)).forEach(render);
      deleteButton.hidden = false;
      return;
    } catch (error) { setConversation(null); }
  }
  const created = await api("/api/chat/conversations", { method: "POST", body: JSON.stringify({ language: state.language }) });
  setConversation(created.conversation_id);
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
    state.lastId = 0;
    list.replaceChildren();
    setStatus(TEXT[state.language].deleted, true);
  } catch (error) {
    setStatus(TEXT[state.language].deleteFailed);
  } finally {
    deleteButton.disabled = false;
  }
}

async function send(text) {
  setStatus("");
  sendButton.disabled = true;
  try {
    await ensureConversation();
    const turn = await sendOnce(text, messageKey());
    setStatus("");
    turn.messages.forEach(render);
    if (turn.language !== state.language) applyLanguage(turn.language);
    return true;
  } catch (error) {
    setStatus(error.message);
    return false;
  } finally {
    sendButton.disabled = false;
  }
}

// Replies from a person arrive without a request of the citizen's: poll for them.
async function poll() {
  const id = state.conversationId;
  if (!id) return;
  try {
    const messages = await api(`/api/chat/conversations/${id}/messages?after=${state.lastId}`);
    if (state.conversationId === id) messages.forEach(render);  // not a conversation deleted meanwhile
  } catch (error) { /* a failed poll is retried on the next tick */ }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  if (await send(text)) input.value = "";
  input.focus();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
});
deleteButton.addEventListener("click", () => confirmDelete.showModal());
document.getElementById("confirm-delete-cancel").addEventListener("click", () => confirmDelete.close());
document.getElementById("confirm-delete-yes").addEventListener("click", () => {
  confirmDelete.close();
  deleteConversation();
});
document.querySelectorAll("[data-language]").forEach((button) => button.addEventListener("click", () => {
  state.chosen = true;
  applyLanguage(button.dataset.language);
}));

applyLanguage(state.language);
if (state.conversationId) ensureConversation().catch(() => {});
setInterval(poll, 3000);
