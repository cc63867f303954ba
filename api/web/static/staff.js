// Staff workspace: search (/api/staff/search) and read documents at the cited section.
"use strict";

const $ = (id) => document.getElementById(id);
const TYPES = { public: "publiek", internal: "intern", statute: "wetgeving" };

async function api(path) {
  const response = await fetch(path);
  if (response.status === 401) { location.href = `/login?next=${encodeURIComponent("/staff")}`; throw new Error("login"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : "Er ging iets mis.");
  return body;
}

function anchor(section) {
  const last = section.split(" › ").pop();
  return last.toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, "-").replace(/^-+|-+$/g, "");
}

function renderResult(doc) {
  const item = document.createElement("li");
  item.className = `result ${doc.audience}`;
  item.dataset.doc = doc.doc_id;
  const title = document.createElement("h2");
  title.textContent = doc.title;
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = [TYPES[doc.doc_type], doc.team, doc.version && `versie ${doc.version}`,
    doc.effective_date && `geldig vanaf ${doc.effective_date}`].filter(Boolean).join(" · ");
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
    why.textContent = `Waarom: ${passage.why}`;
    block.append(text, cite, why);
    item.append(block);
  }
  if (doc.url && doc.url.startsWith("http")) {
    const link = document.createElement("a");
    link.href = doc.url; link.target = "_blank"; link.rel = "noopener";
    link.textContent = "Officiële bron";
    item.append(link);
  }
  return item;
}

async function openDocument(docId, section) {
  const doc = await api(`/api/staff/documents/${encodeURIComponent(docId)}`);
  $("document").hidden = false;
  $("document-meta").textContent = [doc.title, doc.version && `versie ${doc.version}`, doc.effective_date].filter(Boolean).join(" · ");
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
    const results = await api(`/api/staff/search?${params}`);
    $("results").replaceChildren(...results.map(renderResult));
    if (!results.length) $("status").textContent = "Niets gevonden dat relevant genoeg is.";
  } catch (error) { $("status").textContent = error.message; }
});
$("close-document").addEventListener("click", () => { $("document").hidden = true; });
$("logout").addEventListener("click", async () => { await fetch("/api/auth/logout", { method: "POST" }); location.href = "/login"; });

(async () => {
  const me = await api("/api/auth/me");
  $("me").textContent = `${me.display_name} (${me.teams.join(", ") || "geen team"})`;
  for (const team of ["burgerzaken", "belastingen", "afval", "openbare_ruimte", "parkeren", "vergunningen",
    "zorg_welzijn", "werk_inkomen", "handhaving", "wonen", "klachten_bezwaar", "klantcontact"]) {
    const option = document.createElement("option");
    option.value = team; option.textContent = team;
    $("team").append(option);
  }
})();
