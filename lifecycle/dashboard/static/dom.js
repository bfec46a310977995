"use strict";
// What every page of the dashboard shares: elements built with textContent only (customer data is never HTML),
// table rows, and reading the JSON endpoints (a 401 goes back to the login).
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    if (cell instanceof Node) { const td = el("td"); td.appendChild(cell); tr.appendChild(td); }
    else if (typeof cell === "number") tr.appendChild(el("td", cell.toLocaleString(), "num"));
    else tr.appendChild(el("td", cell === null || cell === undefined ? "–" : cell));
  }
  return tr;
}

function fill(id, rows, empty) {
  const body = document.getElementById(id);
  body.replaceChildren(...rows);
  if (!rows.length) body.appendChild(row([el("span", empty || "nothing yet", "muted")]));
}

async function getJSON(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (response.status === 401) { window.location.assign("/login"); throw new Error("signed out"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}
