// A line chart of the last hour, drawn as SVG from /api/series: no library, no build.
// lineChart(svg, {at, from, until, lines: [{values, cls, label}], unit}) draws each
// line as one <path> (a null value leaves a gap) and marks its latest point; each path
// carries data-points, the number of values it drew, so that a test can tell a chart
// with data from an empty one.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const CHART_HEIGHT = 150;
const PAD = { left: 56, right: 10, top: 10, bottom: 22 };

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

// a round top for the y axis: 1, 2 or 5 times a power of ten, at least `max`
function niceCeiling(max) {
  if (!(max > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(max)));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function formatValue(value, unit) {
  const text = value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
  return unit ? text + " " + unit : text;
}

function pathOf(at, values, x, y) {
  let d = "", drawn = 0, pen = false;
  for (let i = 0; i < at.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) { pen = false; continue; }
    d += (pen ? "L" : "M") + x(at[i]).toFixed(1) + "," + y(value).toFixed(1);
    pen = true;
    drawn++;
  }
  return { d, drawn };
}

// a chart whose box changes width (a phone turned, a window resized) is drawn again to fit:
// its text keeps its size
const chartResize = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const chart = entry.target;
    if (chart.drawn && Math.round(entry.contentRect.width) !== chart.drawn.width) {
      lineChart(chart, chart.drawn.options);
    }
  }
});

function lineChart(svg, options) {
  const { at, from, until, lines, unit = "" } = options;
  const width = Math.max(200, Math.round(svg.getBoundingClientRect().width) || 600);
  svg.drawn = { width, options };
  chartResize.observe(svg);
  svg.setAttribute("viewBox", `0 0 ${width} ${CHART_HEIGHT}`);
  svg.setAttribute("height", CHART_HEIGHT);
  svg.replaceChildren();
  const values = lines.flatMap((line) => line.values.filter((v) => v !== null && v !== undefined));
  const top = niceCeiling(Math.max(0, ...values));
  const plotW = width - PAD.left - PAD.right, plotH = CHART_HEIGHT - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + ((t - from) / (until - from)) * plotW;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;

  for (const fraction of [0, 0.5, 1]) {
    const level = top * fraction;
    svg.append(svgElement("line", { class: "grid", x1: PAD.left, x2: width - PAD.right, y1: y(level), y2: y(level) }));
    svg.append(svgElement("text", { class: "axis", x: PAD.left - 6, y: y(level) + 4, "text-anchor": "end" }, formatValue(level, unit)));
  }
  const minutes = Math.round((until - from) / 60);
  for (const [t, label, anchor] of [[from, `−${minutes} min`, "start"], [(from + until) / 2, `−${minutes / 2} min`, "middle"], [until, "now", "end"]]) {
    svg.append(svgElement("text", { class: "axis", x: x(t), y: CHART_HEIGHT - 6, "text-anchor": anchor }, label));
  }
  let drawnAll = 0;
  for (const line of lines) {
    const { d, drawn } = pathOf(at, line.values, x, y);
    drawnAll += drawn;
    svg.append(svgElement("path", { class: "line " + line.cls, d: d || "M0,0", "data-points": drawn }));
    const last = line.values.findLastIndex((v) => v !== null && v !== undefined);
    if (last >= 0) svg.append(svgElement("circle", { class: "dot " + line.cls, cx: x(at[last]), cy: y(line.values[last]), r: 3 }));
  }
  svg.dataset.points = drawnAll;
  if (!drawnAll) {
    svg.append(svgElement("text", { class: "axis empty", x: width / 2, y: CHART_HEIGHT / 2, "text-anchor": "middle" }, "no data yet"));
  }
}

// the legend of a chart: each line's label and its latest value
function chartLegend(element, lines, unit = "") {
  element.innerHTML = lines.map((line) => {
    const last = line.values.findLast((v) => v !== null && v !== undefined);
    return `<span class="legend ${esc(line.cls)}"><i></i>${esc(line.label)} ` +
      `<b>${last === undefined ? "–" : esc(formatValue(last, unit))}</b></span>`;
  }).join("");
}

// the series answer's hour, from the server's clock
function seriesSpan(series) {
  return { from: series.server_time - series.window, until: series.server_time };
}
