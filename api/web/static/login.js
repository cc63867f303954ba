// Staff and moderator login page: no inline script, so the pages can forbid inline scripts (CSP).
"use strict";

const TEXT = {
  nl: { heading: "Inloggen voor medewerkers", username: "Gebruikersnaam", password: "Wachtwoord", submit: "Inloggen",
        wrong: "Onbekende gebruikersnaam of onjuist wachtwoord.",
        locked: "Te veel inlogpogingen. Probeer het over {minutes} min. opnieuw.",
        failed: "Inloggen lukte niet. Probeer het opnieuw." },
  en: { heading: "Staff login", username: "Username", password: "Password", submit: "Log in",
        wrong: "Unknown username or wrong password.",
        locked: "Too many login attempts. Please try again in {minutes} min.",
        failed: "Logging in failed. Please try again." },
};
let language = localStorage.getItem("loket.staffLanguage") === "en" ? "en" : "nl";

function applyLanguage(chosen) {
  language = chosen;
  localStorage.setItem("loket.staffLanguage", chosen);
  document.documentElement.lang = chosen;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = TEXT[chosen][el.dataset.i18n]; });
  document.querySelectorAll("[data-language]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.language === chosen)));
  document.getElementById("error").textContent = "";
}
document.querySelectorAll("[data-language]").forEach((b) => b.addEventListener("click", () => applyLanguage(b.dataset.language)));
applyLanguage(language);

// 401: wrong; 429: locked for a while (too many attempts for this name or from this address).
function refusal(response) {
  if (response.status === 401) return TEXT[language].wrong;
  if (response.status !== 429) return TEXT[language].failed;
  const minutes = Math.max(1, Math.ceil((Number(response.headers.get("Retry-After")) || 60) / 60));
  return TEXT[language].locked.replace("{minutes}", minutes);
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/api/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: username.value, password: password.value }),
  });
  if (!response.ok) {
    document.getElementById("error").textContent = refusal(response);
    return;
  }
  const me = await response.json();
  const next = new URLSearchParams(location.search).get("next");
  // Back only to one of this site's own pages: anything else ("/\\evil.example",
  // "//evil.example", a full address) could send the user to another site.
  const PAGES = ["/moderator", "/staff", "/admin", "/docs", "/redoc"];
  location.href = PAGES.includes(next) ? next
    : me.roles.includes("admin") ? "/admin" : me.roles.includes("moderator") ? "/moderator" : "/staff";
});
