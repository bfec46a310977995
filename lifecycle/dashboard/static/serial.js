"use strict";
// The serial view: find a serial by serial, account or e-mail; show its coverage, history, notices, held events
// and dead letters. Renders with textContent only (customer data is never HTML).

function show(id, visible) { document.getElementById(id).hidden = !visible; }

function serialLink(serial) {
  const link = el("a", serial);
  link.href = `/serial?q=${encodeURIComponent(serial)}`;
  return link;
}

function renderMatches(query, serials) {
  show("matches-section", true);
  document.getElementById("matches-query").textContent = `for “${query}”`;
  fill("matches", serials.map((s) => row([serialLink(s.serial), s.account_id, s.status, s.program,
    `${s.family} ${s.version} (${s.line})`, s.expires_on])), "no serial, account or e-mail address matches");
}

function renderSerial(data) {
  const e = data.entitlement;
  document.getElementById("serial").textContent = data.serial;
  const covered = document.getElementById("covered");
  covered.textContent = e.status_words; covered.className = e.covered ? "up" : "down";
  const list = document.getElementById("coverage");
  list.replaceChildren();
  const facts = [["program", e.program], ["period", e.period], ["channels", e.channels_words],
    ["also", e.extras.join(", ") || "–"], ["status", e.status], ["product", e.product], ["license", e.license],
    ["account", e.account_id], ["contact", e.contact ? [e.contact.name, e.contact.email].filter(Boolean).join(" ") : "–"],
    ["revision", e.revision]];
  for (const [label, value] of facts) { list.appendChild(el("dt", label)); const dd = el("dd", value); dd.dataset.fact = label; list.appendChild(dd); }
  const timeline = document.getElementById("timeline");
  timeline.replaceChildren(...data.timeline.map((t) => {
    const item = el("li");
    item.appendChild(el("strong", `revision ${t.revision}`));
    item.appendChild(el("span", ` ${t.at} · event ${t.event_id} · ${t.status}`, "muted"));
    const changes = el("ul");
    for (const c of t.changes) changes.appendChild(el("li", c.from === null ? `${c.field}: ${c.to}` : `${c.field}: ${c.from} → ${c.to}`));
    item.appendChild(changes);
    if (t.note) item.appendChild(el("span", t.note, "muted"));
    return item;
  }));
  fill("notices", data.notices.map((n) => row([n.due_on, n.kind, n.status + (n.skip_reason ? ` (${n.skip_reason})` : ""),
    n.recipient, n.sent_at, n.last_error || (n.attempts ? `${n.attempts} attempt(s)` : "")])), "no notices");
  fill("held", data.held.map((h) => row([h.event_id, h.type, h.occurred_at, h.held_since])), "nothing held");
  fill("letters", data.deadletters.map((d) => {
    const open = el("a", "open"); open.href = `/#letter=${d.id}`;
    return row([d.failed_at, d.reason, d.origin && d.origin.topic ? `${d.origin.topic} @${d.origin.offset}` : "–", open]);
  }), "no dead letters");
  for (const id of ["coverage-section", "timeline-section", "notices-section"]) show(id, true);
}

async function lookUp(query) {
  document.getElementById("errors").textContent = "";
  for (const id of ["matches-section", "coverage-section", "timeline-section", "notices-section"]) show(id, false);
  try {
    const found = await getJSON(`/api/serials?q=${encodeURIComponent(query)}`);
    if (found.serials.length === 1) renderSerial(await getJSON(`/api/serials/${encodeURIComponent(found.serials[0].serial)}`));
    else renderMatches(query, found.serials);
  } catch (error) { document.getElementById("errors").textContent = String(error.message || error); }
  document.body.dataset.loaded = query;
}

document.addEventListener("DOMContentLoaded", () => {
  const query = new URLSearchParams(window.location.search).get("q") || "";
  document.getElementById("q").value = query;
  document.getElementById("lookup").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = document.getElementById("q").value.trim();
    if (!q) return;
    window.history.replaceState(null, "", `/serial?q=${encodeURIComponent(q)}`);
    lookUp(q);
  });
  if (query) lookUp(query);
});
