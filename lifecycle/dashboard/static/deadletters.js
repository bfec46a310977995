"use strict";
// Dead letters as a work queue: filters, counts by reason, pages, a letter's detail and redrive (operator token).
// Uses el, row, fill and getJSON from app.js; renders with textContent only.
const DL = { page: 1, pages: 1, matched: 0, pending: null, open: null };
const GROUPS_SHOWN = 6;

function dlFilters() {
  const form = new FormData(document.getElementById("dl-filters"));
  const filters = {};
  for (const [name, value] of form.entries()) if (String(value).trim()) filters[name] = String(value).trim();
  return filters;
}

function origin(d) {
  return d.origin && d.origin.topic ? `${d.origin.topic} [${d.origin.partition}] @${d.origin.offset}` : "–";
}

function groupRow(g) {
  const link = el("a", g.group); link.href = "#"; link.className = "group";
  link.addEventListener("click", (event) => {
    event.preventDefault(); document.getElementById("dl-group").value = g.group; DL.page = 1; dlRefresh();
  });
  return row([link, g.count, g.components.join(", "), g.topics.join(", "), g.redriven]);
}

function letterRow(d) {
  const open = el("button", "Open"); open.type = "button"; open.className = "open";
  open.addEventListener("click", () => openLetter(d.id));
  const marks = el("div");
  marks.appendChild(el("span", d.reason));
  if (d.redriven.length) marks.appendChild(el("span", `redriven (${d.redriven.length})`, "badge redriven"));
  if (d.redrive_of) marks.appendChild(el("span", `failed again after redrive of ${d.redrive_of}`, "badge again"));
  const tr = row([d.failed_at, marks, d.component, origin(d), d.key === null ? "–" : d.key, el("div", d.preview, "preview"), open]);
  tr.dataset.letter = d.id;
  return tr;
}

function renderQueue(q) {
  document.getElementById("dl-total").textContent = `(${q.matched.toLocaleString()} of ${q.total.toLocaleString()} newest kept)`;
  fill("dl-groups", q.groups.slice(0, GROUPS_SHOWN).map(groupRow), "no dead letters");
  const more = q.groups.slice(GROUPS_SHOWN);
  const box = document.getElementById("dl-more-groups");
  box.hidden = !more.length;
  box.querySelector("summary").textContent = `${more.length} more reasons`;
  fill("dl-groups-more", more.map(groupRow));
  const group = document.getElementById("dl-group").value;
  document.getElementById("dl-group-shown").textContent = group ? `Reason: ${group} (Clear to see every reason)` : "";
  fill("deadletters", q.items.map(letterRow), "no dead letters");
  DL.page = q.page; DL.pages = q.pages; DL.matched = q.matched;
  document.getElementById("dl-page").textContent = `page ${q.page} of ${q.pages}`;
  document.getElementById("dl-prev").disabled = q.page <= 1;
  document.getElementById("dl-next").disabled = q.page >= q.pages;
  document.getElementById("dl-redrive-matching").textContent = `Redrive the ${q.matched.toLocaleString()} matching letters…`;
}

async function dlRefresh() {
  const query = new URLSearchParams({ ...dlFilters(), page: String(DL.page) });
  try { renderQueue(await getJSON(`/api/deadletters?${query}`)); }
  catch (error) { document.getElementById("dl-result").textContent = String(error.message || error); }
}

function fact(list, label, value) {
  list.appendChild(el("dt", label));
  const dd = el("dd", value === null || value === undefined || value === "" ? "–" : value);
  dd.dataset.fact = label;
  list.appendChild(dd);
}

async function openLetter(id) {
  const d = await getJSON(`/api/deadletters/${id}`);
  DL.open = d;
  document.getElementById("dl-detail").hidden = false;
  document.getElementById("dl-detail-id").textContent = id;
  const facts = document.getElementById("dl-facts");
  facts.replaceChildren();
  fact(facts, "reason", d.reason); fact(facts, "component", d.component); fact(facts, "failed at", d.failed_at);
  fact(facts, "origin", origin(d)); fact(facts, "key", d.key);
  fact(facts, "size", d.payload_bytes === null ? null : `${d.payload_bytes} bytes, sha256 ${d.payload_sha256}`);
  fact(facts, "redriven", (d.redriven || []).map((r) => `${r.at} by ${r.actor} to ${r.sent_to.topic} [${r.sent_to.partition}] @${r.sent_to.offset}`).join("; "));
  fact(facts, "failed again after redrive of", d.redrive_of);
  const p = d.payload || {};
  document.getElementById("dl-payload").textContent = p.format === "json" ? JSON.stringify(p.json, null, 2)
    : p.format === "text" ? p.text : "(binary or no payload)";
  document.getElementById("dl-redrive-one").disabled = !d.can_redrive;
  document.getElementById("dl-detail").scrollIntoView({ block: "nearest" });
}

async function postRedrive(body) {
  const response = await fetch("/api/deadletters/redrive", {
    method: "POST", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-Operator-Token": document.getElementById("operator-token").value },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  return { status: response.status, answer };
}

async function askRedrive(selection) {
  const result = document.getElementById("dl-result");
  result.className = ""; result.textContent = "";
  const again = document.getElementById("dl-again").checked;
  const { status, answer } = await postRedrive({ ...selection, again, confirm: false });
  if (status !== 200) { result.className = "error"; result.textContent = answer.error || `HTTP ${status}`; return; }
  DL.pending = { ...selection, again, expected: answer.count };
  const before = answer.redriven_before ? ` (${answer.redriven_before} redriven before left out: tick "also those redriven before" to send them too)` : "";
  document.getElementById("dl-confirm-text").textContent = `Send ${answer.count} letter(s) back to the topics they came from?${before}`;
  document.getElementById("dl-confirm").hidden = false;
}

async function confirmRedrive() {
  const result = document.getElementById("dl-result");
  document.getElementById("dl-confirm").hidden = true;
  if (!DL.pending) return;
  const { status, answer } = await postRedrive({ ...DL.pending, confirm: true });
  DL.pending = null;
  if (status !== 200) { result.className = "error"; result.textContent = answer.error || `HTTP ${status}`; return; }
  const skipped = Object.entries(answer.skipped || {}).map(([why, n]) => `${why}: ${n}`);
  result.className = "ok";
  result.textContent = `Sent back ${answer.sent}` + (skipped.length ? ` (skipped ${skipped.join(", ")})` : "") + "; recorded in the audit.";
  await dlRefresh();
  if (DL.open) await openLetter(`${DL.open.partition}-${DL.open.offset}`);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("dl-filters");
  form.addEventListener("input", () => { DL.page = 1; document.getElementById("dl-group").value = ""; dlRefresh(); });
  form.addEventListener("reset", () => setTimeout(() => { DL.page = 1; dlRefresh(); }, 0));
  form.addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("dl-prev").addEventListener("click", () => { DL.page -= 1; dlRefresh(); });
  document.getElementById("dl-next").addEventListener("click", () => { DL.page += 1; dlRefresh(); });
  document.getElementById("dl-detail-close").addEventListener("click", () => { document.getElementById("dl-detail").hidden = true; DL.open = null; });
  document.getElementById("dl-redrive-one").addEventListener("click", () => { if (DL.open) askRedrive({ ids: [`${DL.open.partition}-${DL.open.offset}`] }); });
  document.getElementById("dl-redrive-matching").addEventListener("click", () => askRedrive({ filters: dlFilters() }));
  document.getElementById("dl-confirm-yes").addEventListener("click", confirmRedrive);
  document.getElementById("dl-confirm-no").addEventListener("click", () => { document.getElementById("dl-confirm").hidden = true; DL.pending = null; });
  const wanted = new URLSearchParams(window.location.hash.slice(1)).get("letter");
  if (wanted && /^\d+-\d+$/.test(wanted)) openLetter(wanted).catch((error) => { document.getElementById("dl-result").textContent = String(error.message || error); });
  dlRefresh();
  setInterval(dlRefresh, 3000);
});
