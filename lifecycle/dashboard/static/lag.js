"use strict";
// The consumer groups panel: each group's worst partition status on top, every partition's status on expand.
// Uses el, row, fill and ago from app.js; renders with textContent only.
const LAG_CLASS = { ok: "ok", lagging: "warning", stalled: "error", stopped: "error" };
const lagOpen = new Set(); // the groups whose partitions are expanded survive each refresh

function lagBadge(status, text) {
  const badge = el("span", text || status || "–", LAG_CLASS[status] || "muted");
  badge.dataset.status = status || "";
  return badge;
}

function lagSummary(g) {
  const counts = g.status_counts || {};
  const bad = ["stopped", "stalled", "lagging"].filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
  return bad.length ? `${g.status}: ${bad.join(", ")} of ${g.partitions.length}` : g.status;
}

function lagPartitions(g) {
  const details = el("details");
  details.dataset.group = g.group;
  details.open = lagOpen.has(g.group);
  details.addEventListener("toggle", () => { if (details.open) lagOpen.add(g.group); else lagOpen.delete(g.group); });
  const summary = el("summary", `${g.group}: ${g.partitions.length} partitions, `);
  summary.appendChild(lagBadge(g.status, lagSummary(g)));
  details.appendChild(summary);
  const table = el("table");
  table.appendChild(row(["topic", "partition", "committed", "end", "lag", "status", "why"]));
  const order = { stopped: 0, stalled: 1, lagging: 2, ok: 3 };
  const parts = [...g.partitions].sort((a, b) => (order[a.status] ?? 4) - (order[b.status] ?? 4));
  for (const p of parts) {
    table.appendChild(row([p.topic, p.partition, p.committed === null ? "–" : p.committed, p.end, p.lag,
      lagBadge(p.status), el("span", p.status_reason || "", "muted")]));
  }
  details.appendChild(table);
  return details;
}

function renderGroups(data) {
  const now = data.sampled_at;
  const groups = data.groups || [];
  fill("groups", groups.map((g) => {
    const tr = row([g.group, el("span", g.state, g.state), g.members, g.total_lag, ago(now - g.last_movement_at),
      lagBadge(g.status, g.status ? lagSummary(g) : "–")]);
    tr.dataset.group = g.group;
    return tr;
  }));
  document.getElementById("group-partitions").replaceChildren(...groups.filter((g) => g.partitions.length).map(lagPartitions));
}
