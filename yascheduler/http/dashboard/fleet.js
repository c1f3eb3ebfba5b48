// The fleet on the dashboard: the instances sharing the radios (GET /api/instances), and
// whether the page is one of a fleet, for the radios table's owner column. One instance
// alone shows neither.
"use strict";

// more than one instance known, alive or not: the page shows the fleet
function isFleet(answer) { return answer.instances.length > 1; }

// the HTTP address an instance told ("HOST:PORT") as a link from this page: an instance
// listening on every address is reached on the host this page came from
function instanceLink(http) {
  if (!http) return '<span class="muted">–</span>';
  const colon = http.lastIndexOf(":");
  let host = http.slice(0, colon);
  if (host === "0.0.0.0" || host === "::") host = location.hostname;
  const address = (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host) + http.slice(colon);
  return `<a href="http://${esc(address)}/">${esc(http)}</a>`;
}

function renderInstances(answer) {
  const fleet = isFleet(answer);
  $("instances-panel").hidden = !fleet;
  if (!fleet) return false;
  const alive = answer.instances.filter((i) => i.alive).length;
  $("instances-info").textContent = `${alive} alive of ${answer.instances.length}`;
  $("instances").innerHTML = answer.instances.map((i) => `
    <tr class="${i.alive ? "alive" : "dead"}" data-instance="${esc(i.id)}">
      <td data-label="Instance" class="c-id"><b>${esc(i.id)}</b>${i.this ? ' <span class="muted">(this one)</span>' : ""}</td>
      <td data-label="State" class="c-alive"><span class="pill ${i.alive ? "ok" : "bad"}">${i.alive ? "alive" : "dead"}</span></td>
      <td data-label="Heartbeat" class="c-heartbeat muted">${ago(answer.server_time - i.last_heartbeat_at)}</td>
      <td data-label="HTTP" class="c-http mono">${instanceLink(i.http)}</td>
      <td data-label="Shards" class="num c-shards">${number(i.shards)}</td>
      <td data-label="Radios" class="num c-radios">${number(i.radios)}
        <div class="muted small">${number(i.streaming_radios)} streaming</div></td>
      <td data-label="Listeners" class="num c-listeners">${number(i.listeners)}</td>
      <td data-label="Lateness p99" class="num c-lateness">${ms(i.play_lateness_p99_ms)}</td>
    </tr>`).join("");
  return true;
}
