// authkit demo: the pages work without this script; it adds live
// password-policy feedback and reads a reset token from the link's
// fragment. Loaded with the page's CSP nonce; it adds no inline code.
"use strict";

// Live feedback: every input with data-policy="ID" shows the server's
// verdict (POST /password/check: the same rules and messages as the
// server's own refusal) in the element ID while the user types.
function livePolicy(input) {
  const out = document.getElementById(input.dataset.policy);
  if (!out) return;
  let timer = 0;
  let seq = 0;
  const show = (items) => {
    out.replaceChildren(...items.map(([text, cls]) => {
      const li = document.createElement("li");
      li.textContent = text;
      li.className = cls;
      return li;
    }));
  };
  const check = async () => {
    const body = { password: input.value };
    if (!body.password) { show([]); return; }
    for (const name of ["username", "email"]) {
      const field = input.form && input.form.elements.namedItem(name);
      if (field && field.value) body[name] = field.value;
    }
    const mine = ++seq;
    try {
      const resp = await fetch("/password/check", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      if (mine !== seq) return;
      if (!resp.ok) { show([["The rules could not be checked just now.", "bad"]]); return; }
      const v = await resp.json();
      if (mine !== seq) return;
      show(v.ok ? [["This password meets every rule.", "good"]] : v.errors.map((e) => [e.message, "bad"]));
    } catch (e) {
      if (mine === seq) show([["The rules could not be checked just now.", "bad"]]);
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(check, 200); };
  input.addEventListener("input", later);
  for (const name of ["username", "email"]) {
    const field = input.form && input.form.elements.namedItem(name);
    if (field) field.addEventListener("input", () => { if (input.value) later(); });
  }
}

// A reset link carries its token in the fragment, which the browser never
// sends to a server; move it into the form and out of the address bar.
function resetToken() {
  const field = document.getElementById("reset-token");
  if (!field || !location.hash.startsWith("#token=")) return;
  field.value = decodeURIComponent(location.hash.slice("#token=".length));
  history.replaceState(null, "", location.pathname);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-policy]").forEach(livePolicy);
  resetToken();
});
