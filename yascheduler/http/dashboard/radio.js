// The page of one radio, /radios/<uuid>: what plays now and next, the next 24 hours
// (the engine's own dry run, /api/radios/<uuid>/schedule), the last 50 tracks
// (/api/radios/<uuid>/history, where the service has it) and its listeners.
"use strict";

const REFRESH_MS = 2000;
const PROGRAMME_MS = 60000; // the schedule and history are asked again at least this often
const TICK_MS = 250;
const HISTORY_SHOWN = 50;
const LISTENERS_SHOWN = 20;

const uuid = decodeURIComponent(location.pathname.replace(/^\/radios\//, ""));
const api = "/api/radios/" + encodeURIComponent(uuid);
let timer = null;
let programmeAt = 0; // performance.now() of the last schedule and history asked
let playingSince = null; // started_at of the track playing: a new track asks for both again

const STATE_PILL = { streaming: "ok", broken: "bad", idle: "idle" };

function renderNow(radio) {
  document.title = (radio.name || radio.uuid) + " · yascheduler";
  $("radio-name").textContent = radio.name || radio.uuid;
  const state = $("radio-state");
  state.textContent = radio.state;
  state.className = "pill " + (STATE_PILL[radio.state] || "idle");
  $("now").innerHTML = radio.broken ? `<span class="reason">${esc(radio.broken)}</span>`
    : radio.filename ? trackHTML(radio) + progressHTML(radio)
    : '<span class="muted">nothing playing</span>';
  $("next").innerHTML = radio.next
    ? trackHTML(radio.next) + `<div class="muted small tnum" data-at="${radio.next.starts_at}"></div>`
    : '<span class="muted">nothing chosen yet</span>';
  $("listener-count").textContent = number(radio.listeners);
  $("radio-facts").innerHTML = [
    `<span class="mono">${esc(radio.uuid)}</span>`,
    radio.master_streamer ? `master <b>${esc(radio.master_streamer)}</b>` : "no master streamer",
    radio.show ? `show <b>${esc(radio.show.name)}</b>` : "no show on air",
  ].join(" · ");
}

function marksHTML(marks) {
  return marks.map((m) => `<div class="mark ${esc(m.mark)}">${esc(m.text)}</div>`).join("");
}

// a row per item; the day is written where it changes (the radio's own calendar)
function renderSchedule(schedule) {
  $("schedule-info").textContent = `${number(schedule.items.length)} items · ${schedule.timezone}`;
  $("prediction").textContent = schedule.prediction;
  let day = null;
  $("schedule").innerHTML = schedule.items.length ? schedule.items.map((item) => {
    const today = wallDay(item.start_local);
    const dayRow = today !== day ? `<tr class="day"><td colspan="4">${esc(today)}</td></tr>` : "";
    day = today;
    const track = item.kind === "dead air" ? '<span class="reason">dead air</span>' : trackHTML(item);
    return dayRow + `
    <tr class="${item.marks.length ? "marked" : ""}">
      <td data-label="Starts" class="tnum">${esc(wallTime(item.start_local))}</td>
      <td data-label="Track">${track}</td>
      <td data-label="Show">${item.show ? esc(item.show.name) : '<span class="muted">–</span>'}</td>
      <td data-label="Notes">${marksHTML(item.marks) || '<span class="muted">–</span>'}</td>
    </tr>`;
  }).join("") : `<tr><td colspan="4" class="empty">Nothing to play in the next 24 hours.</td></tr>`;
}

function renderHistory(history) {
  const body = $("history");
  if (history === null) {
    $("history-info").textContent = "";
    body.innerHTML = `<tr><td colspan="5" class="empty">history not available</td></tr>`;
    return;
  }
  const items = history.items.slice(0, HISTORY_SHOWN);
  $("history-info").textContent = `newest first · ${items.length} shown`;
  body.innerHTML = items.length ? items.map((item) => `
    <tr>
      <td data-label="Started" class="tnum">${esc(wallTime(item.started_at_local))}
        <div class="muted small">${esc(wallDay(item.started_at_local))}</div></td>
      <td data-label="Track">${trackHTML(item)}</td>
      <td data-label="Show">${item.show ? esc(item.show) : '<span class="muted">–</span>'}</td>
      <td data-label="Late" class="num">${ms(item.lateness_ms)}</td>
      <td data-label="Listeners" class="num">${number(item.listeners)}</td>
    </tr>`).join("") : `<tr><td colspan="5" class="empty">Nothing played yet.</td></tr>`;
}

function renderListeners(answer) {
  renderListenerTable(answer, { label: "Streamer", cell: (l) => esc(l.streamer ?? "–") });
}

function renderCharts(series) {
  const span = seriesSpan(series);
  const listeners = [{ values: series.radio_listeners, cls: "listeners", label: "listeners" }];
  lineChart($("chart-listeners"), { at: series.at, ...span, lines: listeners });
  chartLegend($("legend-listeners"), listeners);
  const lateness = [
    { values: series.lateness_p99_ms, cls: "p99", label: "p99" },
    { values: series.lateness_max_ms, cls: "max", label: "max" },
  ];
  lineChart($("chart-lateness"), { at: series.at, ...span, lines: lateness, unit: "ms" });
  chartLegend($("legend-lateness"), lateness, "ms");
}

// the history endpoint may not be there (an older service): a 404 of it is "not available"
async function getHistory() {
  try {
    return await getJSON(api + "/history");
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

async function refreshProgramme() {
  programmeAt = performance.now();
  const [schedule, history] = await Promise.all([getJSON(api + "/schedule?hours=24"), getHistory()]);
  renderSchedule(schedule);
  renderHistory(history);
}

function unknownRadio() {
  const notice = $("unknown");
  notice.hidden = false;
  notice.innerHTML = `No radio <span class="mono">${esc(uuid)}</span> is programmed. ` +
    `<a href="/">Back to every radio</a>`;
  for (const section of document.querySelectorAll("main > :not(#unknown)")) section.hidden = true;
  $("radio-name").textContent = uuid;
}

async function refresh() {
  clearTimeout(timer);
  const asked = performance.now();
  try {
    let radio;
    try {
      radio = await getJSON(api);
    } catch (error) {
      if (error.status === 404) return unknownRadio(); // and no more refreshes
      throw error;
    }
    const query = "radio=" + encodeURIComponent(uuid);
    const [series, listeners] = await Promise.all([
      getJSON("/api/series?" + query), getJSON(`/api/listeners?${query}&per_page=${LISTENERS_SHOWN}`),
    ]);
    serverClock.set(radio.server_time, asked);
    renderNow(radio);
    renderCharts(series);
    renderListeners(listeners);
    if (radio.started_at !== playingSince || performance.now() - programmeAt > PROGRAMME_MS) {
      playingSince = radio.started_at;
      await refreshProgramme();
    }
    tickTimes();
    showConnection(null);
  } catch (error) {
    showConnection(error);
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

$("sources").innerHTML = `Refreshed every 2 s from <a href="${api}">${api}</a>, ` +
  `<a href="/api/series?radio=${encodeURIComponent(uuid)}">/api/series</a>; ` +
  `the schedule (<a href="${api}/schedule">${api}/schedule</a>) and history ` +
  `(<a href="${api}/history">${api}/history</a>) when a track starts · <a href="/">every radio</a>`;
refresh();
setInterval(tickTimes, TICK_MS);
