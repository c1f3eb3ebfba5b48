// The yascheduler dashboard: fetches the JSON API every 2 s and renders it (the helpers
// it shares with the radio page are in shared.js, the charts in chart.js).
"use strict";

const REFRESH_MS = 2000;
const TICK_MS = 250;
const PER_PAGE = 50;
const PARKED_SHOWN = 10;

const view = { state: "all", q: "", page: 1 };
let radioTotal = 0;
let timer = null;
let generation = 0; // only the latest refresh renders and plans the next one

function sum(counts) { return Object.values(counts || {}).reduce((a, b) => a + b, 0); }

function breakdown(counts) {
  return Object.entries(counts || {}).sort((a, b) => b[1] - a[1])
    .map(([k, v]) => k + ": " + v).join("\n");
}

// --- the summary cards -------------------------------------------------------------

function renderCards(status, streamers, events) {
  const alive = streamers.streamers.filter((s) => s.state === "alive").length;
  const missing = streamers.streamers.length - alive;
  $("c-streamers").textContent = number(streamers.streamers.length);
  $("c-streamers-sub").innerHTML = `<b>${alive}</b> alive` +
    (missing ? ` · <span class="warn">${missing} missing</span>` : "");
  $("c-streamers").parentElement.classList.toggle("alert", missing > 0);

  $("c-radios").textContent = number(status.radios);
  $("c-radios-sub").innerHTML = `<b>${number(status.streaming_radios)}</b> streaming · ` +
    (status.broken_radios ? `<span class="bad">${number(status.broken_radios)} broken</span>`
                          : "0 broken");
  $("c-radios").parentElement.classList.toggle("alert", status.broken_radios > 0);

  $("c-listeners").textContent = number(status.listeners);
  $("c-listeners-sub").textContent = "open sessions";

  const late = events.lateness;
  $("c-events").textContent = number(events.total);
  $("c-events-sub").innerHTML = late.count
    ? `last min: <b>${number(late.count)}</b> plays · p50 ${ms(late.p50_ms)} · p99 ${ms(late.p99_ms)} · max ${ms(late.max_ms)}`
    : "last min: no plays sent";

  $("c-outbox").textContent = status.outbox_enabled ? number(status.outbox) : "off";
  const oldest = status.outbox_oldest_at;
  const parked = status.outbox_parked;
  $("c-outbox-sub").innerHTML = (!status.outbox_enabled ? "no web app configured"
    : oldest === null ? "all delivered"
    : `oldest waiting <span class="warn">${ago(status.server_time - oldest)}</span>`) +
    (parked ? ` · <span class="bad">${number(parked)} parked</span>` : "");
  $("c-outbox").parentElement.classList.toggle("alert", parked > 0);

  const bad = sum(status.messages_rejected);
  $("c-messages").textContent = number(sum(status.messages_received));
  $("c-messages-sub").innerHTML = `received · <b>${number(sum(status.messages_sent))}</b> sent · ` +
    (bad ? `<span class="bad">${number(bad)} bad</span>` : "0 bad");
  $("c-messages").parentElement.title = "received\n" + breakdown(status.messages_received) +
    "\n\nsent\n" + breakdown(status.messages_sent) + "\n\nrejected\n" + breakdown(status.messages_rejected);

  const redis = $("redis");
  redis.textContent = status.redis_connected ? "redis connected" : "redis disconnected";
  redis.className = "pill " + (status.redis_connected ? "ok" : "bad");
}

// --- radios ------------------------------------------------------------------------

const STATE_PILL = { streaming: "ok", broken: "bad", idle: "idle" };

function progressCell(radio) {
  if (radio.broken) return `<span class="reason">${esc(radio.broken)}</span>`;
  if (!radio.filename) return `<span class="muted">nothing playing</span>`;
  return trackHTML(radio) + progressHTML(radio);
}

// `fleet`: the page is one of several instances, each radio names its owner
function renderRadios(answer, fleet) {
  radioTotal = answer.total;
  $("radios-table").classList.toggle("fleet", fleet);
  const body = $("radios");
  if (!answer.radios.length) {
    body.innerHTML = `<tr><td colspan="8" class="empty">${
      view.q || view.state !== "all" ? "No radio matches." : "No radio is programmed."}</td></tr>`;
  } else {
    body.innerHTML = answer.radios.map((r) => `
      <tr class="${r.state}" data-uuid="${esc(r.uuid)}">
        <td data-label="State" class="c-state"><span class="pill ${STATE_PILL[r.state] || "idle"}">${esc(r.state)}</span></td>
        <td data-label="Radio" class="c-radio"><div class="radio-name">${radioLink(r.uuid, r.name || r.uuid)}</div>
          <div class="mono muted">${esc(r.uuid)}</div></td>
        <td data-label="Master" class="c-master">${r.master_streamer ? esc(r.master_streamer) : '<span class="muted">–</span>'}</td>
        <td data-label="Playing" class="c-playing">${progressCell(r)}</td>
        <td data-label="Next" class="c-next${r.next ? "" : " none"}">${r.next ? trackHTML(r.next) : '<span class="muted">–</span>'}</td>
        <td data-label="Show" class="c-show${r.show ? "" : " none"}">${r.show ? esc(r.show.name) : '<span class="muted">–</span>'}</td>
        <td data-label="Listeners" class="num c-listeners">${number(r.listeners)}</td>
        <td data-label="Owner" class="c-owner">${esc(r.owner)}</td>
      </tr>`).join("");
  }
  const counts = answer.counts || {};
  for (const button of document.querySelectorAll("#state-tabs button")) {
    button.classList.toggle("active", button.dataset.state === view.state);
    button.querySelector("span").textContent = number(counts[button.dataset.state]);
  }
  const pages = Math.max(1, Math.ceil(answer.total / answer.per_page));
  const first = answer.total ? (answer.page - 1) * answer.per_page + 1 : 0;
  const last = Math.min(answer.total, answer.page * answer.per_page);
  $("page-info").textContent = `${number(first)}–${number(last)} of ${number(answer.total)} · page ${answer.page} of ${pages}`;
  $("prev").disabled = answer.page <= 1;
  $("next").disabled = answer.page >= pages;
  tickTimes();
}

// --- streamers, events, listeners ---------------------------------------------------

function renderStreamers(answer) {
  const rows = answer.streamers;
  $("streamers").innerHTML = rows.length ? rows.map((s) => `
    <tr>
      <td data-label="Streamer"><b>${esc(s.name)}</b></td>
      <td data-label="State"><span class="pill ${s.state === "alive" ? "ok" : "warn"}">${esc(s.state)}</span></td>
      <td data-label="Last pong" class="muted">${ago(s.seen_seconds_ago)}</td>
      <td data-label="Radios"><b>${number(s.radio_count)}</b>
        ${s.radios.length ? `<div class="held">${s.radios.map(esc).join(", ")}${
          s.radio_count > s.radios.length ? " …" : ""}</div>` : ""}</td>
    </tr>`).join("") : `<tr><td colspan="4" class="empty">No streamer registered.</td></tr>`;
}

function renderEvents(answer) {
  $("events-info").textContent = `${number(answer.total)} pending`;
  $("events").innerHTML = answer.events.length ? answer.events.map((e) => `
    <tr>
      <td data-label="In" class="tnum" data-at="${e.at}"></td>
      <td data-label="Event">${esc(e.kind)}</td>
      <td data-label="Radio" class="mono">${radioLink(e.radio_uuid, e.radio_uuid)}</td>
    </tr>`).join("") : `<tr><td colspan="3" class="empty">No event pending.</td></tr>`;
}

function renderListeners(answer) {
  renderListenerTable(answer, { label: "Radio", cell: (l) => radioLink(l.radio_uuid, l.radio_uuid) });
}

// refused for good by the web app: shown until an operator retries or discards them
function renderParked(answer) {
  $("parked-panel").hidden = answer.total === 0;
  $("parked-info").textContent = (answer.total > answer.items.length
    ? `${answer.items.length} oldest of ${number(answer.total)}` : `${number(answer.total)}`) +
    " · yascheduler outbox list | retry | discard";
  $("parked").innerHTML = answer.items.map((p) => `
    <tr>
      <td data-label="Seq" class="mono">${esc(p.seq)}</td>
      <td data-label="Kind">${esc(p.kind)}</td>
      <td data-label="Radio" class="mono">${p.radio_uuid ? radioLink(p.radio_uuid, p.radio_uuid) : "–"}</td>
      <td data-label="Answer"><span class="pill bad">HTTP ${esc(p.status)}</span></td>
      <td data-label="Parked" class="muted">${ago(answer.server_time - p.parked_at)}</td>
    </tr>`).join("");
}

// --- schedule adherence and the last hour ---------------------------------------------

const RULES = { repeat_window: "3-hour repeat window", title: "title separation", artist: "artist separation" };

function renderAdherence(adherence) {
  const late = adherence.show_start_lateness;
  const broken = adherence.separation_rules_broken;
  $("a-show-starts").textContent = number(late.count);
  $("a-show-starts-sub").textContent = late.count
    ? `late p50 ${seconds(late.p50_seconds)} · p99 ${seconds(late.p99_seconds)} · max ${seconds(late.max_seconds)}`
    : "no show started yet";
  $("a-rules").textContent = number(sum(broken));
  $("a-rules-sub").innerHTML = Object.entries(RULES)
    .map(([rule, label]) => `${esc(label)}: <b>${number(broken[rule])}</b>`).join(" · ");
  $("a-rules").parentElement.classList.toggle("alert", sum(broken) > 0);
  $("a-dead-air").textContent = clock(adherence.broken_radio_seconds);
  $("a-dead-air").parentElement.classList.toggle("alert", adherence.broken_radio_seconds > 0);
  $("a-repeats").textContent = number(adherence.repeats_within_3h);
}

function renderCharts(series) {
  const span = seriesSpan(series);
  const lateness = [
    { values: series.lateness_p99_ms, cls: "p99", label: "p99" },
    { values: series.lateness_max_ms, cls: "max", label: "max" },
  ];
  lineChart($("chart-lateness"), { at: series.at, ...span, lines: lateness, unit: "ms" });
  chartLegend($("legend-lateness"), lateness, "ms");
  const listeners = [{ values: series.listeners, cls: "listeners", label: "listeners" }];
  lineChart($("chart-listeners"), { at: series.at, ...span, lines: listeners });
  chartLegend($("legend-listeners"), listeners);
}

// --- the loop ------------------------------------------------------------------------

function radiosURL() {
  const params = new URLSearchParams({ state: view.state, page: view.page, per_page: PER_PAGE });
  if (view.q) params.set("q", view.q);
  return "/api/radios?" + params;
}

async function refresh() {
  clearTimeout(timer);
  const mine = ++generation;
  const asked = performance.now();
  try {
    const [status, radios, streamers, events, listeners, parked, series, instances] = await Promise.all([
      getJSON("/api/status"), getJSON(radiosURL()), getJSON("/api/streamers"),
      getJSON("/api/events?per_page=10"), getJSON("/api/listeners?per_page=20"),
      getJSON("/api/outbox/parked?per_page=" + PARKED_SHOWN), getJSON("/api/series"),
      getJSON("/api/instances"),
    ]);
    if (mine !== generation) return;
    serverClock.set(status.server_time, asked);
    if (radios.page > 1 && !radios.radios.length && radios.total) {
      view.page = Math.ceil(radios.total / radios.per_page); // the list shrank under us
      saveView();
      return refresh();
    }
    renderCards(status, streamers, events);
    renderRadios(radios, renderInstances(instances));
    renderStreamers(streamers);
    renderEvents(events);
    renderListeners(listeners);
    renderParked(parked);
    renderAdherence(status.schedule_adherence);
    renderCharts(series);
    showConnection(null);
  } catch (error) {
    if (mine !== generation) return;
    showConnection(error);
  } finally {
    if (mine === generation) timer = setTimeout(refresh, REFRESH_MS);
  }
}

// the filters live in the URL's hash, so that a reload or a link keeps them
function loadView() {
  const params = new URLSearchParams(location.hash.slice(1));
  view.state = ["all", "broken", "streaming", "idle"].includes(params.get("state")) ? params.get("state") : "all";
  view.q = params.get("q") || "";
  view.page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  $("search").value = view.q;
}

function saveView() {
  const params = new URLSearchParams();
  if (view.state !== "all") params.set("state", view.state);
  if (view.q) params.set("q", view.q);
  if (view.page > 1) params.set("page", view.page);
  history.replaceState(null, "", params.toString() ? "#" + params : location.pathname);
}

function change(update) {
  Object.assign(view, update);
  saveView();
  refresh();
}

let searchDelay = null;
$("search").addEventListener("input", (event) => {
  clearTimeout(searchDelay);
  searchDelay = setTimeout(() => change({ q: event.target.value.trim(), page: 1 }), 300);
});
for (const button of document.querySelectorAll("#state-tabs button")) {
  button.addEventListener("click", () => change({ state: button.dataset.state, page: 1 }));
}
$("prev").addEventListener("click", () => change({ page: Math.max(1, view.page - 1) }));
$("next").addEventListener("click", () => change({ page: view.page + 1 }));

loadView();
refresh();
setInterval(tickTimes, TICK_MS);
