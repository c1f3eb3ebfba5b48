// What the dashboard's pages share: formatting, the server's clock, fetching, tracks.
// Times shown are computed from the server's own clock (server_time in each
// answer) plus the time elapsed here since, so a skewed client clock does not matter.
"use strict";

const $ = (id) => document.getElementById(id);

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]
  ));
}

const serverClock = {
  at: null, // {server: seconds, local: performance.now() ms} of the last answer
  set(serverTime, askedAt) {
    this.at = { server: serverTime, local: (askedAt + performance.now()) / 2 };
  },
  now() {
    if (this.at === null) return Date.now() / 1000;
    return this.at.server + (performance.now() - this.at.local) / 1000;
  },
};

function clock(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
}

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 1) return "just now";
  if (seconds < 90) return Math.round(seconds) + " s ago";
  if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
  return Math.round(seconds / 3600) + " h ago";
}

function number(n) { return (n ?? 0).toLocaleString("en-US"); }
function ms(value) { return value === null || value === undefined ? "–" : value.toFixed(1) + " ms"; }
function seconds(value) { return value === null || value === undefined ? "–" : value.toFixed(1) + " s"; }

// "2026-03-29T03:00:00+02:00" -> "03:00:00" (the radio's own wall clock, as the API gives it)
function wallTime(iso) { return iso ? iso.slice(11, 19) : "–"; }
function wallDay(iso) { return iso ? iso.slice(0, 10) : ""; }

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) {
    const error = new Error(url + ": " + response.status);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

// a track as a listener knows it: artist – title first, the file name second and smaller;
// `t` is any answer's track: filename (or file), kind, artist, title
function trackName(t) {
  if (t.artist && t.title) return t.artist + " – " + t.title;
  return t.title || t.artist || null;
}

function trackHTML(t, extra = "") {
  const file = t.filename ?? t.file;
  const name = trackName(t);
  const kind = t.kind ? `<span class="kind ${esc(t.kind.replace(/ /g, "-"))}">${esc(t.kind)}</span>` : "";
  if (!name) return `<div><span class="file">${esc(file)}</span>${kind}${extra}</div>`;
  return `<div><span class="track">${esc(name)}</span>${kind}${extra}</div>` +
    `<div class="file small">${esc(file)}</div>`;
}

function radioLink(uuid, text) {
  return `<a href="/radios/${encodeURIComponent(uuid)}">${esc(text)}</a>`;
}

// the moving parts between two fetches: progress bars, countdowns, durations
function tickTimes() {
  const now = serverClock.now();
  for (const bar of document.querySelectorAll(".progress")) {
    const zero = parseFloat(bar.dataset.zero), end = parseFloat(bar.dataset.end);
    const duration = parseFloat(bar.dataset.duration);
    const fraction = duration > 0 ? Math.min(1, Math.max(0, (now - zero) / duration)) : 1;
    bar.querySelector("i").style.width = (fraction * 100).toFixed(1) + "%";
    bar.querySelector(".left").textContent = clock(end - now) + " left";
  }
  for (const cell of document.querySelectorAll("[data-at]")) {
    cell.textContent = "in " + clock(parseFloat(cell.dataset.at) - now);
  }
  for (const cell of document.querySelectorAll("[data-since]")) {
    cell.textContent = clock(now - parseFloat(cell.dataset.since));
  }
  $("server-time").textContent = new Date(now * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

// the instant the file was (or would have been) at 0 s: a track may start mid-file
function progressHTML(radio) {
  return `<div class="progress" data-zero="${radio.server_time - radio.offset}"` +
    ` data-duration="${radio.duration}" data-end="${radio.ends_at}">` +
    `<span class="bar"><i></i></span><span class="left"></span></div>`;
}

function showConnection(error) {
  const connection = $("connection");
  connection.textContent = error ? "no answer: " + error.message : "live";
  connection.className = "pill " + (error ? "bad" : "ok");
}

// The listeners table of a page: `column` is its second column, {label, cell(listener)}.
function renderListenerTable(answer, column) {
  $("listeners-info").textContent = answer.total > answer.listeners.length
    ? `${answer.listeners.length} of ${number(answer.total)} shown` : `${number(answer.total)} open`;
  $("listeners").innerHTML = answer.listeners.length ? answer.listeners.map((l) => `
    <tr>
      <td data-label="Session" class="mono">${esc(l.session_id)}</td>
      <td data-label="${column.label}" class="mono">${column.cell(l)}</td>
      <td data-label="User">${l.user_id === null ? '<span class="muted">anonymous</span>' : "#" + esc(l.user_id)}</td>
      <td data-label="For" class="num" data-since="${l.started_at}"></td>
    </tr>`).join("") : `<tr><td colspan="4" class="empty">No one is listening.</td></tr>`;
}
