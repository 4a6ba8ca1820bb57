// The dashboard page: asks the graph at /graphql with the key typed in, and draws each answer
// as an SVG chart in the viewer's timezone. No framework, no CDN.
"use strict";

const DAYS = { DAYS_7: 7, DAYS_30: 30, DAYS_90: 90 };
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

function svg(tag, attributes, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Bars per label, one colour per series, with a few grid lines and every nth label.
function barChart(labels, series) {
  const width = 640, height = 220, left = 40, bottom = 24, top = 8;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const highest = Math.max(1, ...series.flatMap((s) => s.values));
  const plotHeight = height - bottom - top;
  const slot = (width - left) / Math.max(1, labels.length);
  const bar = Math.max(1, (slot * 0.8) / series.length);
  for (let i = 0; i <= 4; i += 1) {
    const y = top + plotHeight - (plotHeight * i) / 4;
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, stroke: "#dde3ea" }));
    chart.append(svg("text", { x: 2, y: y + 3 }, Math.round((highest * i) / 4).toLocaleString()));
  }
  const every = Math.ceil(labels.length / 10);
  labels.forEach((label, index) => {
    const x = left + index * slot + slot * 0.1;
    series.forEach((s, k) => {
      const value = s.values[index] || 0;
      const h = (value / highest) * plotHeight;
      const rect = svg("rect", {
        x: x + k * bar, y: top + plotHeight - h, width: bar, height: h, fill: s.colour,
        "data-value": value,
      });
      rect.append(svg("title", {}, `${label}: ${s.name} ${value.toLocaleString()}`));
      chart.append(rect);
    });
    if (index % every === 0) {
      chart.append(svg("text", { x, y: height - 8 }, label));
    }
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

function draw(panel, totals, labels, series, status) {
  const section = $(`#${panel}`);
  $(".totals", section).textContent = totals;
  const chart = $(".chart", section);
  chart.replaceChildren();
  if (labels.length) chart.append(barChart(labels, series), legend(series));
  $(".status", section).textContent = status || "";
  section.dataset.state = status ? "error" : "ready";
}

const short = (day) => day.slice(5); // 2026-11-22 -> 11-22

async function whatsapp(key, timezone, period, viewer) {
  const fields = `period timezone startDate endDate
    totals { total delivered read deliveryRate readRate }
    series { date sent delivered read }`;
  let board, errors;
  if (viewer && viewer.keyKind === "TENANT") {
    const choice = $("#number");
    const answer = await graph(key, `query($p: Period, $tz: String) {
      numbers { id phoneNumber displayName dashboard(period: $p, timezone: $tz) { ${fields} } } }`,
      { p: period, tz: timezone });
    errors = answer.errors;
    const numbers = (answer.data && answer.data.numbers) || [];
    if (!choice.options.length) {
      for (const n of numbers) choice.append(new Option(n.displayName || n.phoneNumber, n.id));
      $("#number-choice").hidden = numbers.length === 0;
    }
    const picked = numbers.find((n) => n.id === choice.value) || numbers[0];
    board = picked && picked.dashboard;
  } else {
    const answer = await graph(key, `query($p: Period, $tz: String) {
      dashboard(period: $p, timezone: $tz) { ${fields} } }`, { p: period, tz: timezone });
    errors = answer.errors;
    board = answer.data && answer.data.dashboard;
  }
  if (!board) return draw("whatsapp", "", [], [], problem(errors) || "No data");
  const t = board.totals;
  draw("whatsapp",
    `${board.startDate} – ${board.endDate} (${board.timezone}): ${t.total.toLocaleString()} messages, ` +
      `${t.deliveryRate}% delivered, ${t.readRate}% read`,
    board.series.map((d) => short(d.date)),
    [
      { name: "sent", colour: "#2f6fdb", values: board.series.map((d) => d.sent) },
      { name: "delivered", colour: "#1fa672", values: board.series.map((d) => d.delivered) },
      { name: "read", colour: "#e0892d", values: board.series.map((d) => d.read) },
    ],
    problem(errors));
}

async function sms(key, timezone, period) {
  const end = new Date();
  const start = new Date(end.getTime() - DAYS[period] * 86400000);
  const answer = await graph(key, `query($tz: String, $s: String) { sms {
      trends(timezone: $tz, startDate: $s) { date messages { total delivered failed } }
      bestSendTimes(timezone: $tz) { byHour { slot totalSent deliveryRate } } } }`,
    { tz: timezone, s: start.toISOString() });
  const sms = answer.data && answer.data.sms;
  const trends = sms && sms.trends;
  if (!trends) {
    draw("sms-trends", "", [], [], problem(answer.errors) || "No data");
  } else {
    const total = trends.reduce((sum, d) => sum + d.messages.total, 0);
    draw("sms-trends", `${total.toLocaleString()} messages in ${trends.length} local days (${timezone})`,
      trends.map((d) => short(d.date)),
      [
        { name: "delivered", colour: "#1fa672", values: trends.map((d) => d.messages.delivered) },
        { name: "failed", colour: "#b3261e", values: trends.map((d) => d.messages.failed) },
      ]);
  }
  const times = sms && sms.bestSendTimes;
  if (!times) {
    draw("send-times", "", [], [], problem(answer.errors) || "No data");
  } else {
    const best = times.byHour.reduce((a, b) => (b.deliveryRate > a.deliveryRate ? b : a));
    draw("send-times", `Best hour: ${best.slot}:00 (${best.deliveryRate}% delivered), last 90 days`,
      times.byHour.map((h) => `${h.slot}h`),
      [{ name: "sent", colour: "#2f6fdb", values: times.byHour.map((h) => h.totalSent) }]);
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
  draw("email", `${opens.toLocaleString()} unique opens, ${clicks.toLocaleString()} unique clicks`,
    days.map((d) => short(d.date)),
    [
      { name: "opens", colour: "#2f6fdb", values: days.map((d) => d.uniqueOpens) },
      { name: "clicks", colour: "#e0892d", values: days.map((d) => d.uniqueClicks) },
    ]);
}

async function show() {
  const key = $("#key").value.trim();
  const timezone = $("#timezone").value.trim() || "UTC";
  const period = $("#period").value;
  sessionStorage.setItem("gateway-key", key);
  document.body.dataset.state = "loading";
  const who = await graph(key, "{ viewer { tenantId keyKind } }");
  const viewer = who.data && who.data.viewer;
  if (!viewer) {
    for (const panel of document.querySelectorAll("[data-panel]")) {
      draw(panel.id, "", [], [], problem(who.errors));
    }
  } else {
    await Promise.all([
      whatsapp(key, timezone, period, viewer),
      sms(key, timezone, period),
      email(key, timezone, period),
    ]);
  }
  document.body.dataset.state = "ready";
}

$("#timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
$("#key").value = sessionStorage.getItem("gateway-key") || "";
$("#show").addEventListener("click", show);
$("#number").addEventListener("change", show);
$("#key").addEventListener("keydown", (event) => { if (event.key === "Enter") show(); });
