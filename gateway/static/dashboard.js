// The dashboard page: asks the graph at /graphql with the key typed in, and draws each answer
// as an SVG chart in the chosen timezone. No framework, no CDN.
"use strict";

const DAYS = { DAYS_7: 7, DAYS_30: 30, DAYS_90: 90 };
const CHANNELS = { WHATSAPP: ["WhatsApp", "#1fa672"], SMS: ["SMS", "#2f6fdb"], EMAIL: ["Email", "#e0892d"] };
const $ = (selector, root = document) => root.querySelector(selector);

async function graph(key, query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  return { data: body.data, errors: body.errors || [] };
}

function problem(errors) {
  const first = errors[0];
  if (!first) return "";
  const code = (first.extensions && first.extensions.code) || "ERROR";
  return `${first.message} (${code})`;
}

// The local date (YYYY-MM-DD) `back` days before today in `timezone`: the first of the N local
// days a period covers is localDate(zone, N - 1), whatever DST does to the hours between.
function localDate(timezone, back = 0, now = new Date()) {
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(now);
  } catch (unknownZone) { // the graph answers the zone's BAD_USER_INPUT itself
    return localDate("UTC", back, now);
  }
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return new Date(Date.UTC(part("year"), part("month") - 1, part("day") - back))
    .toISOString().slice(0, 10);
}

// Round ticks from 0: a step of 1, 2 or 5 (or 2.5 from 25 up) times a power of ten, whole
// numbers only, at most `count` steps up to the first tick at or above the highest value.
function niceScale(highest, count = 4) {
  const raw = Math.max(highest, 1) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const steps = magnitude >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10];
  const step = Math.max(1, steps.map((m) => m * magnitude).find((s) => s >= raw));
  const top = step * Math.max(1, Math.ceil(highest / step));
  const ticks = [];
  for (let i = 0; i * step <= top; i += 1) ticks.push(i * step);
  return { step, top, ticks };
}

// Day labels: MM-DD, with the year on the first one shown and wherever the year changes when
// the window crosses one; `shown` says which indices get a label.
function dayLabels(days, shown) {
  const crosses = days.length > 0 && days[0].slice(0, 4) !== days[days.length - 1].slice(0, 4);
  let year = null;
  return days.map((day, index) => {
    if (!shown(index)) return "";
    const full = crosses && day.slice(0, 4) !== year;
    year = day.slice(0, 4);
    return full ? day : day.slice(5);
  });
}

function svg(tag, attributes, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const CHAR = 6.2; // px per character of a 10px label, generously

// Bars per day (or hour), one colour per series, drawn at the chart's own pixel width so that
// bars sit on whole pixels: side by side, never overlapping, at 7, 30 or 90 days.
function barChart(days, series, width, { labels } = {}) {
  const height = 220, top = 10, bottom = 28, right = 12;
  const scale = niceScale(Math.max(0, ...series.flatMap((s) => s.values)));
  const tickText = scale.ticks.map((t) => t.toLocaleString("en-US"));
  const left = Math.ceil(10 + CHAR * Math.max(...tickText.map((t) => t.length)));
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "shape-rendering": "crispEdges",
  });
  scale.ticks.forEach((value, i) => {
    const y = Math.round(top + plotHeight - (plotHeight * value) / scale.top);
    chart.append(svg("line", { x1: left, x2: width - right, y1: y, y2: y, stroke: "#dde3ea" }));
    chart.append(svg("text", { x: left - 6, y: y + 3, "text-anchor": "end", class: "tick" },
      tickText[i]));
  });
  const slot = plotWidth / Math.max(1, days.length);
  const bar = Math.floor((slot * 0.8) / series.length);
  const gap = bar >= 4 ? 1 : 0;
  days.forEach((_, index) => {
    const start = Math.round(left + index * slot + (slot - bar * series.length) / 2);
    series.forEach((s, k) => {
      const value = s.values[index] || 0;
      const h = Math.round((value / scale.top) * plotHeight);
      const rect = svg("rect", {
        x: start + k * bar, y: top + plotHeight - h, width: Math.max(1, bar - gap), height: h,
        fill: s.colour, "data-value": value,
      });
      rect.append(svg("title", {}, `${days[index]}: ${s.name} ${value.toLocaleString("en-US")}`));
      chart.append(rect);
    });
  });
  // As many labels as fit, each kept whole inside the chart and clear of the one before.
  const widest = CHAR * Math.max(...(labels || days).map((d) => d.length)) + 12;
  const every = Math.max(1, Math.ceil(days.length / Math.max(1, Math.floor(plotWidth / widest))));
  const text = labels || dayLabels(days, (index) => index % every === 0);
  let clear = 0;
  text.forEach((label, index) => {
    if (!label || index % every !== 0) return;
    const half = (CHAR * label.length) / 2;
    const x = Math.min(Math.max(left + (index + 0.5) * slot, half + 1), width - half - 1);
    if (x - half < clear) return;
    clear = x + half + 4;
    chart.append(svg("text", { x, y: height - 8, "text-anchor": "middle", class: "day" }, label));
  });
  return chart;
}

function legend(series) {
  const box = document.createElement("div");
  box.className = "legend";
  for (const s of series) {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = s.colour;
    item.append(swatch, s.name);
    box.append(item);
  }
  return box;
}

// One panel: its totals line, its chart over `days` (kept on the section, so that a reader or
// a test sees which local days each panel covers), and why it has nothing, if it has not.
function draw(panel, totals, days, series, status, options) {
  const section = $(`#${panel}`);
  $(".totals", section).textContent = totals;
  const chart = $(".chart", section);
  chart.replaceChildren();
  if (days.length) {
    const width = Math.floor(chart.clientWidth) || 640;
    chart.append(barChart(days, series, width, options), legend(series));
  }
  if (!options || !options.labels) {
    section.dataset.days = days.length;
    section.dataset.first = days[0] || "";
    section.dataset.last = days[days.length - 1] || "";
  }
  $(".status", section).textContent = status || "";
  section.dataset.state = status ? "error" : "ready";
}

const percent = (part, whole) => (whole ? Math.round((part / whole) * 10000) / 100 : 0);

async function channels(key, timezone, period) {
  const answer = await graph(key, `query($p: Period, $tz: String) {
    deliveryByChannel(period: $p, timezone: $tz) { timezone days
      channels { channel totals { total delivered deliveryRate } series { delivered } } } }`,
    { p: period, tz: timezone });
  const board = answer.data && answer.data.deliveryByChannel;
  if (!board) return draw("channels", "", [], [], problem(answer.errors) || "No data");
  const series = board.channels.map((c) => ({
    name: CHANNELS[c.channel][0], colour: CHANNELS[c.channel][1],
    values: (c.series || []).map((d) => d.delivered),
  }));
  const totals = board.channels.map((c) => {
    const t = c.totals || { total: 0, delivered: 0, deliveryRate: 0 };
    return `${CHANNELS[c.channel][0]} ${t.delivered.toLocaleString("en-US")} of ` +
      `${t.total.toLocaleString("en-US")} delivered (${t.deliveryRate}%)`;
  });
  const range = `${board.days[0]} – ${board.days[board.days.length - 1]} (${board.timezone})`;
  draw("channels", `${range}: ${totals.join(" · ")}`, board.days, series, problem(answer.errors));
}

async function whatsapp(key, timezone, period, viewer) {
  const fields = `period timezone startDate endDate
    totals { total delivered read deliveryRate readRate }
    series { date sent delivered read }`;
  let board, errors;
  if (viewer && viewer.keyKind === "TENANT") {
    // The first page of the tenant's numbers to choose from, then the chosen one's dashboard
    // alone: a tenant of thousands of numbers costs this page what a small one does.
    const choice = $("#number");
    errors = [];
    if (!choice.options.length) {
      const listed = await graph(key, `{ numbersConnection(first: 100) {
        edges { node { id phoneNumber displayName } } } }`, {});
      errors = listed.errors;
      const page = listed.data && listed.data.numbersConnection;
      const numbers = page ? page.edges.map((edge) => edge.node) : [];
      for (const n of numbers) choice.append(new Option(n.displayName || n.phoneNumber, n.id));
      $("#number-choice").hidden = numbers.length === 0;
    }
    if (choice.value) {
      const answer = await graph(key, `query($id: ID!, $p: Period, $tz: String) {
        number(id: $id) { dashboard(period: $p, timezone: $tz) { ${fields} } } }`,
        { id: choice.value, p: period, tz: timezone });
      errors = answer.errors.length ? answer.errors : errors;
      board = answer.data && answer.data.number && answer.data.number.dashboard;
    }
  } else {
    const answer = await graph(key, `query($p: Period, $tz: String) {
      dashboard(period: $p, timezone: $tz) { ${fields} } }`, { p: period, tz: timezone });
    errors = answer.errors;
    board = answer.data && answer.data.dashboard;
  }
  if (!board) return draw("whatsapp", "", [], [], problem(errors) || "No data");
  const t = board.totals;
  draw("whatsapp",
    `${board.startDate} – ${board.endDate} (${board.timezone}): ` +
      `${t.total.toLocaleString("en-US")} messages, ${t.deliveryRate}% delivered, ${t.readRate}% read`,
    board.series.map((d) => d.date),
    [
      { name: "sent", colour: "#2f6fdb", values: board.series.map((d) => d.sent) },
      { name: "delivered", colour: "#1fa672", values: board.series.map((d) => d.delivered) },
      { name: "read", colour: "#e0892d", values: board.series.map((d) => d.read) },
    ],
    problem(errors));
}

async function sms(key, timezone, period) {
  // The same N local days as the other panels: from local midnight N - 1 days ago, to now.
  const start = localDate(timezone, DAYS[period] - 1);
  const answer = await graph(key, `query($tz: String, $s: String) { sms {
      trends(timezone: $tz, startDate: $s) { date messages { total delivered failed } }
      bestSendTimes(timezone: $tz, startDate: $s) { byHour { slot totalSent deliveryRate } } } }`,
    { tz: timezone, s: start });
  const sms = answer.data && answer.data.sms;
  const trends = sms && sms.trends;
  if (!trends) {
    draw("sms-trends", "", [], [], problem(answer.errors) || "No data");
  } else {
    const total = trends.reduce((sum, d) => sum + d.messages.total, 0);
    const last = trends.length ? trends[trends.length - 1].date : start;
    draw("sms-trends",
      `${start} – ${last} (${timezone}): ${total.toLocaleString("en-US")} messages in ` +
        `${trends.length} local days`,
      trends.map((d) => d.date),
      [
        { name: "delivered", colour: "#1fa672", values: trends.map((d) => d.messages.delivered) },
        { name: "failed", colour: "#b3261e", values: trends.map((d) => d.messages.failed) },
      ]);
  }
  const times = sms && sms.bestSendTimes;
  if (!times) {
    draw("send-times", "", [], [], problem(answer.errors) || "No data");
  } else {
    // The best rate among hours that carry some of the traffic: an hour of two messages, both
    // delivered, is no advice.
    const busiest = Math.max(0, ...times.byHour.map((h) => h.totalSent));
    const busy = times.byHour.filter((h) => h.totalSent * 10 >= busiest);
    const best = busy.reduce((a, b) => (b.deliveryRate > a.deliveryRate ? b : a), busy[0]);
    const hours = times.byHour.map((h) => `${h.slot}h`);
    draw("send-times",
      `Best hour: ${best.slot}:00 (${best.deliveryRate}% delivered), last ${DAYS[period]} days`,
      hours,
      [{ name: "sent", colour: "#2f6fdb", values: times.byHour.map((h) => h.totalSent) }],
      "", { labels: hours });
    const section = $("#send-times");
    section.dataset.first = start;
    section.dataset.days = DAYS[period];
  }
}

async function email(key, timezone, period) {
  const answer = await graph(key, `query($d: Int!, $tz: String) { email {
      histogram(pastDays: $d, timezone: $tz) { date sent uniqueOpens uniqueClicks } } }`,
    { d: DAYS[period], tz: timezone });
  const days = answer.data && answer.data.email && answer.data.email.histogram;
  if (!days) return draw("email", "", [], [], problem(answer.errors) || "No data");
  const opens = days.reduce((sum, d) => sum + d.uniqueOpens, 0);
  const clicks = days.reduce((sum, d) => sum + d.uniqueClicks, 0);
  const sent = days.reduce((sum, d) => sum + d.sent, 0);
  draw("email",
    `${opens.toLocaleString("en-US")} unique opens (${percent(opens, sent)}% of sent), ` +
      `${clicks.toLocaleString("en-US")} unique clicks`,
    days.map((d) => d.date),
    [
      { name: "opens", colour: "#2f6fdb", values: days.map((d) => d.uniqueOpens) },
      { name: "clicks", colour: "#e0892d", values: days.map((d) => d.uniqueClicks) },
    ]);
}

// One line above the panels: what to do (no key yet), or what a key does not show.
function note(kind, parts) {
  const line = $("#note");
  line.replaceChildren(...parts.map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const code = document.createElement("code");
    code.textContent = part;
    return code;
  }));
  line.dataset.kind = kind || "";
  line.hidden = !kind;
}

// Which panels take a whole row: the channels always, the daily charts at 90 days (so that each
// bar keeps a few pixels of its own), and any panel left without a partner beside it, so that
// no panel sits at half width next to empty space whichever panels a key shows.
function layout(period) {
  const panels = [...document.querySelectorAll("[data-panel]")].filter((p) => !p.hidden);
  const wide = panels.map((p) => p.id === "channels" ||
    (period === "DAYS_90" && p.hasAttribute("data-daily")));
  let waiting = null; // a half-width panel still without a partner
  panels.forEach((panel, i) => {
    if (wide[i]) {
      if (waiting !== null) wide[waiting] = true;
      waiting = null;
    } else {
      waiting = waiting === null ? i : null;
    }
  });
  if (waiting !== null) wide[waiting] = true;
  panels.forEach((panel, i) => panel.classList.toggle("wide", wide[i]));
}

function ask() {
  for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = true;
  note("ask", ["Enter an API key above and press Show: a key ", "gateway serve",
    " printed (the demo's number-scoped or tenant-scoped key), or one made with ",
    "gateway keys create", "."]);
  document.body.dataset.state = "ask";
}

async function show() {
  const key = $("#key").value.trim();
  const timezone = $("#timezone").value.trim() || "UTC";
  const period = $("#period").value;
  sessionStorage.setItem("gateway-key", key);
  if (!key) return ask();
  document.body.dataset.state = "loading";
  document.querySelector("main").dataset.period = period;
  const who = await graph(key, "{ viewer { tenantId keyKind } }");
  const viewer = who.data && who.data.viewer;
  // A number-scoped key sees its number's dashboard, nothing else: the other panels are not
  // drawn (they could only say FORBIDDEN), and one line says what a tenant key adds.
  const numberKey = Boolean(viewer && viewer.keyKind === "NUMBER");
  for (const panel of document.querySelectorAll("[data-panel]")) {
    panel.hidden = numberKey && panel.id !== "whatsapp";
  }
  if (numberKey) {
    note("number", ["This key is number-scoped: it shows its own number. A tenant-scoped key" +
      " adds every number of the tenant, SMS, email and the channels side by side (",
      `gateway keys create --tenant ${viewer.tenantId}`, ")."]);
  } else {
    note("", []);
  }
  layout(period);
  if (!viewer) {
    for (const panel of document.querySelectorAll("[data-panel]")) {
      draw(panel.id, "", [], [], problem(who.errors));
    }
  } else if (numberKey) {
    await whatsapp(key, timezone, period, viewer);
  } else {
    await Promise.all([
      channels(key, timezone, period),
      whatsapp(key, timezone, period, viewer),
      sms(key, timezone, period),
      email(key, timezone, period),
    ]);
  }
  document.body.dataset.state = "ready";
}

// The pure parts, for the browser tests to try on dates no clock shows today.
window.gatewayDashboard = { localDate, niceScale, dayLabels };

$("#timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
$("#key").value = sessionStorage.getItem("gateway-key") || "";
if (!$("#key").value) ask();
$("#show").addEventListener("click", show);
$("#number").addEventListener("change", show);
$("#period").addEventListener("change", () => { if ($("#key").value.trim()) show(); });
$("#key").addEventListener("keydown", (event) => { if (event.key === "Enter") show(); });
