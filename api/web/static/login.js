// Staff and moderator login page: no inline script, so the pages can forbid inline scripts (CSP).
"use strict";
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/api/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: username.value, password: password.value }),
  });
  if (!response.ok) {
    document.getElementById("error").textContent = "Onbekende gebruikersnaam of onjuist wachtwoord.";
    return;
  }
  const me = await response.json();
  const next = new URLSearchParams(location.search).get("next");
  // Back only to one of this site's own pages: anything else ("/\\evil.example",
  // "//evil.example", a full address) could send the user to another site.
  const PAGES = ["/moderator", "/staff"];
  location.href = PAGES.includes(next) ? next
    : me.roles.includes("moderator") || me.roles.includes("admin") ? "/moderator" : "/staff";
});
