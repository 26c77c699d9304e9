// The mood chart: thirty days of valence as an inline SVG line. Days without messages
// are gaps in the line, not zeros: "we didn't talk" is not "you felt neutral".
// The same numbers are in a visually hidden table for screen readers.

import { get } from "./api.js";
import { byId, h, say } from "./dom.js";

const DAYS = 30;
const PAD = { top: 16, right: 14, bottom: 30, left: 58 };

let latest = null;     // the last answer, redrawn when the width changes
let observer = null;

export async function showMood() {
  const chart = byId("mood-chart");
  if (!observer && window.ResizeObserver) {
    let lastWidth = 0;
    observer = new ResizeObserver(() => {
      if (latest && chart.clientWidth !== lastWidth) {
        lastWidth = chart.clientWidth;
        draw(latest);
      }
    });
    observer.observe(chart);
  }
  say(byId("mood-status"), "");
  try {
    latest = await get(`/api/mood?days=${DAYS}`);
    draw(latest);
  } catch (error) {
    say(byId("mood-status"), error.message, "error");
  }
}

// -- data -----------------------------------------------------------------------------

/** "2026-03-14" as a local date (new Date("2026-03-14") would be midnight UTC). */
function localDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(y, m - 1, d);
}

function isoDate(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Every day of the window, each with its mood or null (the server omits quiet days). */
function calendar(answer) {
  const byDate = new Map((answer.days || []).map((day) => [day.date, day]));
  const end = answer.end ? localDate(answer.end) : new Date();
  const start = answer.start ? localDate(answer.start)
    : new Date(end.getFullYear(), end.getMonth(), end.getDate() - (DAYS - 1));
  const out = [];
  for (let d = new Date(start); d <= end; d.setDate(d.getDate() + 1)) {
    const day = byDate.get(isoDate(d));
    const spoke = day && day.messages > 0 && typeof day.valence === "number";
    out.push({ date: new Date(d), mood: spoke ? day : null });
  }
  return out;
}

function feeling(valence) {
  if (valence > 0.2) return "lighter";
  if (valence < -0.2) return "heavier";
  return "in between";
}

const shortDate = (date) => date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
const longDate = (date) => date.toLocaleDateString(undefined, { weekday: "long", month: "long", day: "numeric" });

function sentence(day) {
  const m = day.mood;
  const labels = (m.labels || []).length ? m.labels.join(", ") : "nothing strong";
  const count = `${m.messages} message${m.messages === 1 ? "" : "s"}`;
  return `${longDate(day.date)}: ${feeling(m.valence)} (${m.valence.toFixed(2)}); felt ${labels}; ${count}.`;
}

// -- drawing --------------------------------------------------------------------------

function draw(answer) {
  const days = calendar(answer);
  const spoken = days.filter((d) => d.mood);
  byId("mood-empty").hidden = spoken.length > 0;
  showTrend(answer.trend);
  const chart = byId("mood-chart");
  if (!spoken.length) {
    chart.replaceChildren();
    return;
  }
  const width = Math.max(280, chart.clientWidth || 600);
  const height = width < 480 ? 210 : 260;
  const x = (i) => PAD.left + (i * (width - PAD.left - PAD.right)) / Math.max(1, days.length - 1);
  const y = (v) => PAD.top + ((1 - v) / 2) * (height - PAD.top - PAD.bottom);
  const tip = h("div", { class: "mood-tip", "data-testid": "mood-tip", "aria-hidden": "true", hidden: true });
  const svg = h("svg:svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": `Mood over the last ${days.length} days. The table below has the same data.` },
  axes(width, height, y), dateLabels(days, x, height), h("svg:path", { class: "mood-line", d: linePath(days, x, y) }),
  dots(days, x, y, { top: PAD.top, bottom: height - PAD.bottom }, tip));
  chart.replaceChildren(svg, tip, legend(), table(spoken));
}

function axes(width, height, y) {
  const g = h("svg:g", { class: "mood-axes", "aria-hidden": "true" });
  const right = width - PAD.right;
  g.append(
    h("svg:rect", { class: "mood-light-band", x: PAD.left, y: y(1), width: right - PAD.left, height: y(0) - y(1) }),
    h("svg:line", { class: "mood-zero", x1: PAD.left, x2: right, y1: y(0), y2: y(0) }),
    h("svg:line", { class: "mood-edge", x1: PAD.left, x2: right, y1: y(1), y2: y(1) }),
    h("svg:line", { class: "mood-edge", x1: PAD.left, x2: right, y1: y(-1), y2: y(-1) }),
  );
  for (const [value, text] of [[1, "lighter"], [0, "neutral"], [-1, "heavier"]]) {
    g.append(h("svg:text", { x: PAD.left - 8, y: y(value) + 4, "text-anchor": "end" }, text));
  }
  return g;
}

/** A date under the first day, then every week, and under today. */
function dateLabels(days, x, height) {
  const g = h("svg:g", { class: "mood-dates", "aria-hidden": "true" });
  days.forEach((day, i) => {
    const last = i === days.length - 1;
    if ((i % 7 === 0 && days.length - 1 - i >= 3) || last) {
      g.append(h("svg:text", { x: x(i), y: height - 8, "text-anchor": last ? "end" : i === 0 ? "start" : "middle" },
        last ? "today" : shortDate(day.date)));
    }
  });
  return g;
}

/** The line lifts the pen over quiet days, so they show as gaps. */
function linePath(days, x, y) {
  let d = "";
  let drawing = false;
  days.forEach((day, i) => {
    if (!day.mood) {
      drawing = false;
      return;
    }
    d += `${drawing ? "L" : "M"}${x(i).toFixed(1)},${y(day.mood.valence).toFixed(1)} `;
    drawing = true;
  });
  return d.trim();
}

/**
 * A dot per spoken day: hover, focus or tap shows that day's strongest feelings. The area
 * that answers is the day's whole column: on a phone the dots are only ~10 px apart.
 */
function dots(days, x, y, band, tip) {
  const g = h("svg:g", { class: "mood-dots" });
  const step = x(1) - x(0);
  days.forEach((day, i) => {
    if (!day.mood) return;
    const cx = x(i);
    const cy = y(day.mood.valence);
    const label = sentence(day);
    const dot = h("svg:g", { class: "mood-dot", tabindex: 0, role: "img", "aria-label": label,
      "data-testid": "mood-dot", "data-date": isoDate(day.date) },
    h("svg:rect", { class: "hit", x: cx - step / 2, y: band.top, width: step, height: band.bottom - band.top }),
    h("svg:circle", { class: "mark", cx, cy, r: 4.5 }));
    const show = () => showTip(tip, day, cx, cy);
    dot.addEventListener("pointerenter", show);
    dot.addEventListener("focus", show);
    dot.addEventListener("click", show);  // a tap on a phone
    dot.addEventListener("pointerleave", () => { tip.hidden = true; });
    dot.addEventListener("blur", () => { tip.hidden = true; });
    g.append(dot);
  });
  return g;
}

function showTip(tip, day, cx, cy) {
  const m = day.mood;
  tip.replaceChildren(
    h("strong", {}, shortDate(day.date)),
    h("span", {}, (m.labels || []).length ? m.labels.join(", ") : "nothing strong"),
    h("span", { class: "muted" }, `${feeling(m.valence)} · ${m.messages} message${m.messages === 1 ? "" : "s"}`));
  tip.hidden = false;
  // Keep the box inside the chart: flip to the left near the right edge, below near the top.
  const chartWidth = byId("mood-chart").clientWidth;
  const left = Math.min(Math.max(cx - tip.offsetWidth / 2, 0), chartWidth - tip.offsetWidth);
  const top = cy - tip.offsetHeight - 14 < 0 ? cy + 14 : cy - tip.offsetHeight - 14;
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

function legend() {
  return h("ul", { class: "mood-legend" },
    h("li", {}, h("span", { class: "swatch swatch-line", "aria-hidden": "true" }),
      "How light or heavy each day felt"),
    h("li", {}, h("span", { class: "swatch swatch-zero", "aria-hidden": "true" }), "Neutral"),
    h("li", {}, h("span", { class: "swatch swatch-gap", "aria-hidden": "true" }), "A gap: a day you didn't talk"));
}

function table(spoken) {
  return h("table", { class: "visually-hidden" },
    h("caption", {}, "Mood by day"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col" }, "Valence"),
      h("th", { scope: "col" }, "Feelings"), h("th", { scope: "col" }, "Messages"))),
    h("tbody", {}, spoken.map((day) => h("tr", {},
      h("th", { scope: "row" }, longDate(day.date)),
      h("td", {}, `${feeling(day.mood.valence)} (${day.mood.valence.toFixed(2)})`),
      h("td", {}, (day.mood.labels || []).join(", ") || "—"),
      h("td", {}, String(day.mood.messages))))));
}

function showTrend(trend) {
  const el = byId("mood-trend");
  if (!trend || !trend.direction) {
    say(el, "");
    return;
  }
  say(el, trend.direction === "lighter"
    ? "This week has felt lighter than last week."
    : "This week has felt heavier than last week. Your companion has noticed, too.");
}
