// The dashboard: a small client of the public JSON API. It hears each change from the
// updates stream (Server-Sent Events), or polls every `?poll=` seconds (30) when the
// stream is refused or `?live=0` asks for it, and asks with If-None-Match, redrawing a section only when one of its
// answers changed.

const API = "/api/v1";
const params = new URLSearchParams(location.search);
const POLL_SECONDS = Math.max(1, Number(params.get("poll")) || 30);
const SVG = "http://www.w3.org/2000/svg";
const fmt = new Intl.NumberFormat("en-US");
const answers = new Map(); // url -> {etag, data}

// --- fetching -----------------------------------------------------------------------

async function get(url) {
  const known = answers.get(url);
  const headers = known ? { "If-None-Match": known.etag } : {};
  const response = await fetch(url, { headers, cache: "no-store" });
  if (response.status === 304 && known) return { data: known.data, changed: false };
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || `${url}: HTTP ${response.status}`);
  }
  const data = await response.json();
  answers.set(url, { etag: response.headers.get("ETag"), data });
  return { data, changed: true };
}

async function getAll(urls) {
  const results = await Promise.all(urls.map(get));
  return { data: results.map((r) => r.data), changed: results.some((r) => r.changed) };
}

// --- drawing helpers ----------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const num = (n) => (n === null || n === undefined ? "–" : fmt.format(n));
const signed = (n) => (n === null || n === undefined ? "–" : (n > 0 ? "+" : "") + fmt.format(n));
const points = (p) => (p === null || p === undefined ? "–" : `${p > 0 ? "+" : ""}${p.toFixed(1)} pp`);
const pct = (p) => (p === null || p === undefined ? "–" : `${p > 0 ? "+" : ""}${p.toFixed(1)}%`);
const coverage = (c) => (c.complete ? "full year" : `${c.months_label}, ${c.months_covered} of 12 months (partial)`);
const yearLabel = (year, c) => (c.complete ? String(year) : `${year} (${c.months_label})`);

function table(headers, rows, caption) {
  return el(
    "table", {},
    el("caption", { class: "muted" }, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c, i) => el(i ? "td" : "th", i ? {} : { scope: "row" }, c))))),
  );
}

function numbers(tableNode) {
  // Every chart comes with its numbers, for screen readers and for copying.
  // Focusable, so that a keyboard can scroll it sideways on a narrow screen.
  const region = { class: "scroll", tabindex: "0", role: "region", "aria-label": "The numbers (scrolls sideways)" };
  return el("details", {}, el("summary", {}, "The numbers"), el("div", region, tableNode));
}

function hatch() {
  return svg("defs", {}, svg("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
    svg("rect", { width: 6, height: 6, fill: "#dce8f6" }),
    svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#2f6db5", "stroke-width": 2 })));
}

// Horizontal bars, each under its label: items are {label, value, partial, note}.
// Drawn at the container's width in CSS pixels, so text keeps its size on phones.
function barChart(items, title, container) {
  const width = Math.max(300, Math.min(900, container.clientWidth || 900));
  const rowH = 40, valueW = Math.min(220, width * 0.45);
  const max = Math.max(1, ...items.map((i) => i.value));
  const height = items.length * rowH + 4;
  const chart = svg("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    svg("title", {}, title), hatch());
  items.forEach((item, n) => {
    const y = n * rowH;
    const w = Math.max(1, ((width - valueW) * item.value) / max);
    chart.append(
      svg("text", { x: 0, y: y + 14 }, item.label),
      svg("rect", { class: item.partial ? "bar partial" : "bar", x: 0, y: y + 19, width: w, height: 16 },
        svg("title", {}, `${item.label}: ${num(item.value)}${item.note ? " — " + item.note : ""}`)),
      svg("text", { x: w + 6, y: y + 32 }, item.text ?? `${num(item.value)}${item.note ? " · " + item.note : ""}`),
    );
  });
  return chart;
}

function fillSelect(select, options, selected) {
  const current = select.value || selected;
  select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
  if (options.some(([v]) => String(v) === String(current))) select.value = current;
}

// --- sections -----------------------------------------------------------------------

async function drawSource() {
  const { data, changed } = await get(`${API}/sources`);
  if (!changed) return;
  const s = data.items[data.items.length - 1];
  document.getElementById("source").textContent = s
    ? `Source: ${s.title} — ${s.publisher}${s.place ? ", " + s.place : ""}, published ${s.published_on}.`
    : "No source yet.";
}

async function drawYears() {
  const { data, changed } = await get(`${API}/years`);
  if (changed) {
    document.getElementById("years").replaceChildren(...data.items.map((y) =>
      el("div", { class: "card" },
        el("div", {}, el("strong", {}, String(y.year)), " ", y.complete ? "" : el("span", { class: "badge" }, `partial: ${y.months_label}`)),
        el("div", { class: "big" }, num(y.total)),
        el("div", { class: "muted" }, coverage(y)))));
    const years = data.items.map((y) => [y.year, yearLabel(y.year, y)]);
    const latest = years.length ? years[years.length - 1][0] : "";
    const before = years.length > 1 ? years[years.length - 2][0] : latest;
    fillSelect(document.getElementById("from-year"), years, before);
    fillSelect(document.getElementById("to-year"), years, latest);
    fillSelect(document.getElementById("share-year"), years, latest);
  }
  return changed;
}

async function drawCourseBars(force = false) {
  const { data, changed } = await get(`${API}/stats/totals?by=course_year`);
  if (!changed && !force) return;
  const items = data.items.map((i) => ({
    label: `${i.name} ${i.complete ? i.year : `${i.year} (${i.months_label})`}`,
    value: i.total,
    partial: !i.complete,
    note: i.complete ? "" : `${i.months_label}, partial`,
  }));
  const rows = data.items.map((i) => [i.name, String(i.year), num(i.total), i.complete ? "full year" : `${i.months_label} (partial)`]);
  const target = document.getElementById("course-bars");
  target.replaceChildren(
    barChart(items, "Completions by course and year; partial years hatched", target),
    numbers(table(["Course", "Year", "Completions", "Months"], rows, "Completions by course and year")),
  );
}

async function drawChanges(force = false) {
  const from = document.getElementById("from-year").value;
  const to = document.getElementById("to-year").value;
  const target = document.getElementById("changes");
  const note = document.getElementById("changes-note");
  if (!from || !to || Number(from) >= Number(to)) {
    note.textContent = "Pick an earlier year in From than in To.";
    target.replaceChildren();
    return;
  }
  const { data, changed } = await get(`${API}/stats/changes?from=${from}&to=${to}`);
  if (!changed && !force) return;
  const rows = [...data.items, { ...data.all_courses, name: "All courses" }];
  const likeForLike = rows.some((r) => r.from_same_months_total !== null && !r.comparable);
  const headers = ["Course", `${from}`, `${to}`, "Change", "Change %"];
  if (likeForLike) headers.push("Same months earlier", "Change, same months");
  headers.push("Projection for the year (estimate)", "Record", "Contribution (pp)");
  target.replaceChildren(table(headers, rows.map((r) => {
    const cells = [r.name, num(r.from_total), num(r.to_total), signed(r.change), pct(r.change_pct)];
    if (likeForLike) cells.push(num(r.from_same_months_total), r.change_same_months === null ? "–" : `${signed(r.change_same_months)} (${pct(r.change_same_months_pct)})`);
    cells.push(projection(r), r.record ? "record" : r.record === false ? "no" : "–");
    cells.push(points(r.contribution_pp === undefined ? r.change_pct : r.contribution_pp));
    return cells;
  }), `Change from ${from} to ${to}`));
  const overall = data.all_courses;
  const effect = data.excluding_new_courses;
  // The API's own sentences: the numbers are never recomputed here.
  document.getElementById("headline").textContent = overall.headline;
  const withoutNew = effect.excluded.length ? ` ${effect.headline}` : "";
  note.textContent = (overall.comparable
    ? `${from} and ${to} cover the same months.`
    : `Not like for like: ${overall.comparable_note || `${to} covers ${overall.to_months} months, ${from} ${overall.from_months}`}.`) + withoutNew;
  const bars = document.getElementById("contributions");
  // Bars for what adds to the change; every value, falls included, is in the text.
  const items = data.items.map((r) => ({ label: r.name, value: Math.max(0, r.contribution_pp || 0), partial: false, note: points(r.contribution_pp), text: points(r.contribution_pp) }));
  bars.replaceChildren(
    barChart(items, `Where the change from ${from} to ${to} comes from: percentage points of the ${pct(overall.change_pct)} by course`, bars),
    numbers(table(["Course", "Contribution (pp)"], [...data.items.map((r) => [r.name, points(r.contribution_pp)]), ["All courses", points(overall.change_pct)]], `Contributions to the change from ${from} to ${to}`)),
  );
}

// The projection, its change and how it was made, in words.
function projection(r) {
  if (r.to_projected === null) return "–";
  const how = {
    seasonal: `seasonal, from the same months of ${r.projection_basis.join(", ")}`,
    linear: `linear, ${r.to_months} months scaled to 12`,
    mixed: "the courses' projections added, some seasonal, some linear",
  }[r.projection_method];
  return `≈ ${num(r.to_projected)}, ${pct(r.change_projected_pct)} (${how})`;
}

const partsText = (parts) => parts.map((p) => (p.derived ? `${p.label} (${num(p.total)}, derived: ${p.derivation})` : `${p.label} (${num(p.total)})`)).join(" + ");

async function drawRolling(yearsData, force = false) {
  const input = document.getElementById("rolling-end");
  if (!input.value && yearsData.items.length) {
    const last = yearsData.items[yearsData.items.length - 1];
    input.value = `${last.year}-${String(last.months_covered || 12).padStart(2, "0")}`;
  }
  if (!/^\d{4}-\d{2}$/.test(input.value)) return;
  const { data, changed } = await get(`${API}/stats/rolling?end=${input.value}`);
  if (!changed && !force) return;
  const rows = [...data.items, { ...data.all_courses, name: "All courses", parts: [] }];
  document.getElementById("rolling").replaceChildren(table(
    ["Course", data.label, "Made of", "A year earlier", "Change"],
    rows.map((r) => [
      r.name,
      r.available ? num(r.total) : "not available",
      r.available ? partsText(r.parts) : r.reason,
      r.previous_available ? num(r.previous_total) : "not available",
      r.change === null ? "–" : `${signed(r.change)} (${pct(r.change_pct)})`,
    ]),
    `Totals of the twelve months ${data.label}`,
  ));
  const reasons = [...new Set(data.items.filter((r) => !r.available).map((r) => r.reason))];
  document.getElementById("rolling-note").textContent = data.all_courses.available
    ? `All courses, ${data.label}: ${num(data.all_courses.total)}.`
    : `No all-course total for ${data.label}: ${reasons.length === 1 ? reasons[0] : "not every course's months are known"}.`;
}

async function drawShares(force = false) {
  const year = document.getElementById("share-year").value;
  if (!year) return;
  const { data, changed } = await get(`${API}/stats/shares?year=${year}`);
  if (!changed && !force) return;
  const items = data.items.map((i) => ({ label: i.name, value: i.total, partial: false, note: `${i.share_pct.toFixed(1)}%` }));
  const target = document.getElementById("shares");
  target.replaceChildren(
    barChart(items, `Share of ${data.complete ? year : `${data.months_label} ${year}`}'s ${num(data.year_total)} completions by course`, target),
    numbers(table(["Course", "Completions", "Share"], data.items.map((i) => [i.name, num(i.total), `${i.share_pct.toFixed(1)}%`]), `Shares of ${year}`)),
  );
}

async function drawCoursePicker() {
  const { data, changed } = await get(`${API}/courses?limit=1000`);
  if (changed) {
    const options = data.items.map((c) => [c.slug, c.name]);
    fillSelect(document.getElementById("course-pick"), options, options.length ? options[0][0] : "");
  }
  return changed;
}

async function drawSeries(force = false) {
  const slug = document.getElementById("course-pick").value;
  if (!slug) return;
  const { data, changed } = await get(`${API}/courses/${encodeURIComponent(slug)}/series`);
  if (!changed && !force) return;
  const items = data.items.map((i) => ({ label: yearLabel(i.year, i), value: i.total, partial: !i.complete, note: i.complete ? "" : "partial" }));
  const target = document.getElementById("series");
  target.replaceChildren(
    barChart(items, `${data.name}: completions by year; partial years hatched`, target),
    numbers(table(["Year", "Completions", "Months"], data.items.map((i) => [String(i.year), num(i.total), coverage(i)]), `${data.name} by year`)),
  );
}

// --- hearing changes ----------------------------------------------------------------

let live = false; // the stream is open: it says when to refresh

function poll() {
  live = false;
  setInterval(refresh, POLL_SECONDS * 1000);
}

function listen() {
  const stream = new EventSource(`${API}/updates/stream`);
  let heard = null;
  stream.addEventListener("version", (event) => {
    const { version } = JSON.parse(event.data);
    const first = !live;
    live = true;
    if ((heard !== null && version !== heard) || first) refresh();
    heard = version;
  });
  stream.addEventListener("error", () => {
    // A refusal (503: too many subscribers) or no stream at all: fall back to polling.
    // A dropped connection is retried by the browser, with Last-Event-ID.
    if (stream.readyState === EventSource.CLOSED) {
      poll();
      refresh();
    }
  });
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    await drawSource();
    const yearsChanged = await drawYears();
    await drawCourseBars();
    await drawChanges(yearsChanged);
    await drawRolling(answers.get(`${API}/years`).data, yearsChanged);
    await drawShares(yearsChanged);
    const coursesChanged = await drawCoursePicker();
    await drawSeries(coursesChanged);
    status.textContent = `Up to date at ${new Date().toLocaleTimeString()}; ${
      live ? "live: redrawn as each change is recorded." : `checking every ${POLL_SECONDS} s.`
    }`;
  } catch (error) {
    status.textContent = `Could not refresh: ${error.message}`;
  }
}

document.getElementById("from-year").addEventListener("change", () => drawChanges(true));
document.getElementById("to-year").addEventListener("change", () => drawChanges(true));
document.getElementById("share-year").addEventListener("change", () => drawShares(true));
document.getElementById("rolling-end").addEventListener("change", () => drawRolling(answers.get(`${API}/years`).data, true));
document.getElementById("course-pick").addEventListener("change", () => drawSeries(true));

let resizing;
addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => Promise.all([drawCourseBars(true), drawChanges(true), drawShares(true), drawSeries(true)]), 150);
});

await refresh();
if (params.get("live") === "0" || !("EventSource" in window)) poll();
else listen();
