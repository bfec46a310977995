"use strict";
// The dashboard page: polls the JSON endpoints and renders with textContent only (customer data is never HTML).
const REFRESH_MS = 3000;
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#65a30d", "#db2777", "#4b5563", "#ca8a04"];

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  return `${Math.round(seconds / 60)} min ago`;
}

function renderHealth(data) {
  const groups = Object.fromEntries((data.groups || []).map((g) => [g.process, g]));
  fill("health", (data.health || []).map((h) => {
    const group = groups[h.component];
    return row([h.component, el("span", h.status + (h.detail ? ` (${h.detail})` : ""), h.status),
      h.heartbeat_age_s === null ? "–" : `${h.heartbeat_age_s} s`,
      group ? group.group : "–", group ? group.members : "–"]);
  }), "no health targets");
}

function renderTopics(data) {
  fill("topics", (data.topics || []).map((t) => row([t.name,
    t.exists ? `${t.partitions}` + (t.partitions !== t.expected_partitions ? ` (expected ${t.expected_partitions})` : "") : "missing",
    t.end_offset, t.rate_per_s])));
}

// renderGroups: lag.js (each partition's status over its window).

function renderFigures(figures) {
  const cards = document.getElementById("cards");
  const e = (figures && figures.entitlements) || {};
  if (e.error || !figures) { cards.replaceChildren(el("span", e.error || "no figures yet", "muted")); fill("by-program", []); }
  else {
    const items = [["active", e.active], ["pending registration", e.pending_registration],
      [`expiring within ${e.expiring_within_days} days`, e.expiring], ["expired", e.expired], ["all", e.total]];
    cards.replaceChildren(...items.map(([label, value]) => {
      const card = el("div", null, "card");
      card.appendChild(el("div", (value || 0).toLocaleString(), "value"));
      card.appendChild(el("div", label, "label"));
      card.dataset.figure = label;
      return card;
    }));
    fill("by-program", e.by_program_line.map((r) => row([r.program, r.line, r.status, r.count])));
  }
  const n = (figures && figures.notices) || {};
  if (n.error) fill("notices", [row([el("span", n.error, "muted")])]);
  else fill("notices", (n.sent_per_day || []).map((r) => row([r.day, r.kind, r.count])), "no notices sent yet");
  const skipped = document.getElementById("notices-skipped");
  const reasons = (n.skipped_by_reason || []).map((r) => `${r.kind} ${r.reason.replace("_", " ")}: ${r.count.toLocaleString()}`);
  skipped.textContent = n.error ? "" : `Skipped as stale, never sent: ${(n.skipped || 0).toLocaleString()}` + (reasons.length ? ` (${reasons.join(", ")})` : "");
  skipped.dataset.count = String(n.skipped || 0);
}

function renderHolds(figures) {
  const h = (figures && figures.holds) || {};
  const box = document.getElementById("holds");
  if (!figures || h.error) { box.replaceChildren(el("span", h.error || "", "muted")); return; }
  const items = [["events held for their purchase", h.events], ["serials with held events", h.serials]];
  box.replaceChildren(...items.map(([label, value]) => {
    const card = el("div", null, "card");
    card.appendChild(el("div", (value || 0).toLocaleString(), "value"));
    card.appendChild(el("div", label, "label"));
    card.dataset.figure = label;
    return card;
  }));
}

function renderRerouted(data) {
  fill("rerouted", (data.rerouted || []).map((r) => row([r.topic, r.source, r.count])),
    "none since the worker started: every producer places keys by murmur2");
}

function rates(history) {
  const points = [];
  for (let i = 1; i < history.length; i += 1) {
    const [t0, v0] = history[i - 1]; const [t1, v1] = history[i];
    if (t1 > t0) points.push([t1, Math.max(0, (v1 - v0) / (t1 - t0))]);
  }
  return points;
}

function drawChart(data) {
  const canvas = document.getElementById("chart");
  const ctx = canvas.getContext("2d");
  const W = canvas.width; const H = canvas.height; const pad = 36;
  ctx.clearRect(0, 0, W, H);
  const series = (data.topics || []).filter((t) => t.history.length > 1).map((t, i) => ({ name: t.name, color: COLORS[i % COLORS.length], points: rates(t.history) }));
  const now = data.sampled_at || Date.now() / 1000; const from = now - 600;
  const ymax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  ctx.strokeStyle = "#ccc"; ctx.fillStyle = "#666"; ctx.font = "11px sans-serif";
  for (let k = 0; k <= 4; k += 1) {
    const y = H - pad / 2 - (k / 4) * (H - pad);
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(W - 4, y); ctx.stroke();
    ctx.fillText((ymax * k / 4).toFixed(ymax < 10 ? 1 : 0), 2, y + 4);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.beginPath();
    s.points.forEach(([t, v], i) => {
      const x = pad + ((t - from) / 600) * (W - pad - 4); const y = H - pad / 2 - (v / ymax) * (H - pad);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  const legend = document.getElementById("legend");
  legend.replaceChildren(...series.map((s) => { const span = el("span", s.name); const dot = el("i"); dot.style.background = s.color; span.prepend(dot); return span; }));
  canvas.dataset.series = String(series.length);
}

function renderDecisions(data) {
  const decisions = data.case_decisions || {};
  document.getElementById("decisions-total").textContent = `(${decisions.total || 0} newest kept)`;
  fill("decisions-by-basis", (decisions.by_basis || []).map((b) => row([b.eligible ? "yes" : "no", b.basis, b.count])),
    "no cases decided yet");
  fill("decisions", (decisions.items || []).map((d) => {
    const instead = d.eligible ? (d.ppi_credit_used ? "a Pay Per Incident credit was spent" : "") : `${d.reason || ""} (${(d.options || []).join(", ")})`;
    return row([d.decided_at, d.case_number, d.serial, d.eligible ? "yes" : "no", d.basis, (d.channels || []).join(", "), instead]);
  }), "no cases decided yet");
}

async function refresh() {
  const errors = [];
  try {
    const data = await getJSON("/api/overview");
    document.getElementById("prefix").textContent = `topic prefix: ${data.prefix}`;
    document.getElementById("updated").textContent = data.sampled_at ? `sampled ${new Date(data.sampled_at * 1000).toLocaleTimeString()}` : "waiting for the first sample…";
    renderHealth(data); renderTopics(data); renderGroups(data); renderFigures(data.figures); renderHolds(data.figures); drawChart(data);
    renderRerouted(data); renderDecisions(data);
    errors.push(...Object.entries(data.errors || {}).map(([part, text]) => `${part}: ${text}`));
  } catch (error) { errors.push(String(error.message || error)); }
  document.getElementById("errors").textContent = errors.join(" · ");
  document.body.dataset.refreshed = String(Date.now());
}

document.addEventListener("DOMContentLoaded", () => {
  refresh();
  setInterval(refresh, REFRESH_MS);
});
