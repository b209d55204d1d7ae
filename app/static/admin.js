// The admin console: a small client of the public API. The pasted key lives in this
// module's memory only (never in the address, localStorage or sessionStorage), so a
// reload or a closed tab signs out.

const API = "/api/v1";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const fmt = new Intl.NumberFormat("en-US");

let key = null;
let courses = [];
let sources = [];

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function table(headers, rows, caption) {
  return el("table", {},
    el("caption", { class: "muted" }, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
}

// --- talking to the API ---------------------------------------------------------------

async function call(method, url, { json, body, type, ifMatch } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (ifMatch) headers["If-Match"] = ifMatch;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (type) {
    headers["Content-Type"] = type;
  }
  const response = await fetch(url, { method, headers, body, cache: "no-store" });
  const isJson = (response.headers.get("Content-Type") || "").includes("json");
  const data = isJson ? await response.json() : null;
  return { status: response.status, ok: response.ok, data, etag: response.headers.get("ETag") };
}

// A refusal's messages beside the fields they concern; the rest at the form's foot.
function showProblem(form, problem, fallback) {
  clearProblem(form);
  const loose = [];
  for (const e of problem?.errors || []) {
    const slot = form.querySelector(`[data-error-for="${e.field}"]`);
    if (slot) {
      slot.textContent = e.message;
      const input = slot.closest(".field")?.querySelector("input, select");
      input?.setAttribute("aria-invalid", "true");
    } else {
      loose.push(e.row ? `Row ${e.row}, ${e.field}: ${e.message}` : `${e.field}: ${e.message}`);
    }
  }
  const placed = (problem?.errors || []).length - loose.length;
  const summary = placed && !loose.length ? "Not saved: see the message beside the field." : problem?.detail || fallback;
  say(form, loose.length ? `${summary} ${loose.join(" ")}` : summary, true);
  form.querySelector('[aria-invalid="true"]')?.focus();
}

function clearProblem(form) {
  form.querySelectorAll(".error").forEach((p) => { p.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
  say(form, "");
}

function say(form, text, isError = false) {
  const message = form.querySelector(".form-message");
  if (!message) return;
  message.textContent = text;
  message.classList.toggle("bad", isError);
  message.setAttribute("role", isError ? "alert" : "status");
}

const periodLabel = (year, start, end) =>
  start === 1 && end === 12 ? String(year) : start === end ? `${MONTHS[start - 1]} ${year}` : `${MONTHS[start - 1]}–${MONTHS[end - 1]} ${year}`;
const pad = (m) => String(m).padStart(2, "0");

// --- signing in and out ---------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const input = $("key");
  const candidate = input.value.trim();
  input.value = "";
  $("key-error").textContent = "";
  if (!candidate) {
    $("key-error").textContent = "Paste a key first.";
    return;
  }
  key = candidate;
  // The audit log needs the admin scope: 200 admin, 403 a write key, 401 no key at all.
  const probe = await call("GET", `${API}/audit?limit=1`);
  if (probe.status === 401) {
    key = null;
    $("key-error").textContent = "That key is not valid (or it was revoked).";
    input.focus();
    return;
  }
  const admin = probe.status === 200;
  $("who").textContent = `Signed in with ${admin ? "an admin key (write and audit log)" : "a write key"}.`;
  $("signin").hidden = true;
  $("console").hidden = false;
  $("audit-section").hidden = !admin;
  await loadCatalog();
  if (admin) await loadAudit(true);
  $("add-course").focus();
}

function signOut() {
  key = null;
  $("console").hidden = true;
  $("signin").hidden = false;
  for (const id of ["figures", "history-table", "preview", "audit"]) $(id).replaceChildren();
  $("revise").hidden = true;
  $("history").hidden = true;
  $("key").focus();
}

// --- courses and sources for the pickers ------------------------------------------------

async function loadCatalog() {
  const [c, s] = await Promise.all([call("GET", `${API}/courses?limit=1000`), call("GET", `${API}/sources?limit=1000`)]);
  courses = c.data.items;
  sources = s.data.items;
  const courseOptions = () => courses.map((x) => el("option", { value: x.slug }, x.name));
  const sourceOptions = () => sources.map((x) => el("option", { value: String(x.id) }, `${x.title} (${x.published_on})`));
  for (const id of ["add-course", "list-course"]) {
    const current = $(id).value;
    $(id).replaceChildren(...courseOptions());
    if (current) $(id).value = current;
  }
  for (const id of ["add-source", "rev-source"]) {
    const current = $(id).value;
    $(id).replaceChildren(...sourceOptions());
    $(id).value = current || String(sources[sources.length - 1]?.id ?? "");
  }
}

// --- adding a figure ------------------------------------------------------------------

function fillMonths() {
  for (const id of ["add-start", "add-end"]) {
    $(id).replaceChildren(...MONTHS.map((m, i) => el("option", { value: String(i + 1) }, m)));
  }
  const now = new Date();
  $("add-year").value = String(now.getFullYear());
  $("add-start").value = "1";
  $("add-end").value = String(now.getMonth() + 1);
  showPeriod();
}

function showPeriod() {
  const year = Number($("add-year").value);
  const start = Number($("add-start").value);
  const end = Number($("add-end").value);
  $("add-period-label").textContent = year ? `Period: ${periodLabel(year, start, end)}` : "";
}

async function addFigure(event) {
  event.preventDefault();
  const form = $("add-form");
  const year = $("add-year").value.trim();
  const start = Number($("add-start").value);
  const end = Number($("add-end").value);
  const figure = {
    course: $("add-course").value,
    period: `${year}-${pad(start)}/${year}-${pad(end)}`,
    completions: $("add-completions").value === "" ? null : Number($("add-completions").value),
    status: $("add-status").value,
    note: $("add-note").value.trim() || null,
    source_id: Number($("add-source").value),
  };
  const answer = await call("POST", `${API}/attendance`, { json: figure });
  if (!answer.ok) {
    showProblem(form, answer.data, `Not added (HTTP ${answer.status}).`);
    return;
  }
  clearProblem(form);
  const f = answer.data;
  say(form, `Added figure ${f.id}: ${nameOf(f.course)}, ${f.period_label}: ${fmt.format(f.completions)}.`);
  if ($("list-course").value === f.course) await listFigures();
}

const nameOf = (slug) => courses.find((c) => c.slug === slug)?.name || slug;
const sourceOf = (id) => {
  const title = sources.find((s) => s.id === id)?.title || "";
  return `${id}${title ? `: ${title.length > 28 ? `${title.slice(0, 27)}…` : title}` : ""}`;
};

// --- listing, revising, deleting, history -----------------------------------------------

let shown = [];

async function listFigures(event) {
  event?.preventDefault();
  const params = new URLSearchParams({ course: $("list-course").value, limit: "1000" });
  if ($("list-year").value) params.set("year", $("list-year").value);
  const answer = await call("GET", `${API}/attendance?${params}`);
  const target = $("figures");
  if (!answer.ok) {
    target.replaceChildren(el("p", { class: "bad", role: "alert" }, answer.data?.detail || `HTTP ${answer.status}`));
    return;
  }
  shown = answer.data.items;
  const actions = (f) => {
    const cell = el("span", { class: "row-actions" });
    const button = (label, run) => {
      const b = el("button", { type: "button", "aria-label": `${label} ${f.period_label}` }, label);
      b.addEventListener("click", run);
      cell.append(b);
    };
    button("Revise", () => openRevise(f.id));
    button("History", () => showHistory(f.id, f.period_label));
    button("Delete", () => deleteFigure(f));
    return cell;
  };
  target.replaceChildren(shown.length
    ? table(["Period", "Completions", "Status", "Note", "Source", "Revision", "Actions"],
      shown.map((f) => [f.period_label, fmt.format(f.completions), f.status, f.note || "", sourceOf(f.source_id), String(f.revision), actions(f)]),
      `Figures of ${nameOf($("list-course").value)}`)
    : el("p", { class: "muted" }, "No figures match."));
}

let revising = null; // {id, etag}

async function openRevise(id) {
  const form = $("revise-form");
  clearProblem(form);
  const answer = await call("GET", `${API}/attendance/${id}`);
  if (!answer.ok) {
    say(form, answer.data?.detail || `HTTP ${answer.status}`, true);
    return;
  }
  const f = answer.data;
  revising = { id, etag: answer.etag };
  $("revise-h").textContent = `Revise figure ${f.id}: ${nameOf(f.course)}, ${f.period_label} (revision ${f.revision})`;
  $("rev-completions").value = String(f.completions);
  $("rev-status").value = f.status;
  $("rev-note").value = f.note || "";
  $("rev-source").value = String(f.source_id);
  $("revise").hidden = false;
  $("rev-completions").focus();
}

async function saveRevision(event) {
  event.preventDefault();
  const form = $("revise-form");
  const change = {
    completions: $("rev-completions").value === "" ? null : Number($("rev-completions").value),
    status: $("rev-status").value,
    note: $("rev-note").value.trim() || null,
    source_id: Number($("rev-source").value),
  };
  const answer = await call("PATCH", `${API}/attendance/${revising.id}`, { json: change, ifMatch: revising.etag });
  if (answer.status === 412) {
    showProblem(form, { detail: "This figure was changed by someone else since you opened it — reload it to see the current values, then revise again." });
    $("revise-reload").focus();
    return;
  }
  if (!answer.ok) {
    showProblem(form, answer.data, `Not saved (HTTP ${answer.status}).`);
    return;
  }
  clearProblem(form);
  revising.etag = answer.etag;
  say(form, `Saved: figure ${answer.data.id} is now ${fmt.format(answer.data.completions)} (revision ${answer.data.revision}).`);
  await listFigures();
}

async function deleteFigure(f) {
  const target = $("figures");
  const current = await call("GET", `${API}/attendance/${f.id}`);
  const note = (text, bad = false) => target.prepend(el("p", { class: bad ? "bad" : "note", role: bad ? "alert" : "status" }, text));
  if (!current.ok || current.data.revision !== f.revision) {
    note(`Figure ${f.id} was changed by someone else since this list was shown — reload the list first.`, true);
    return;
  }
  const answer = await call("DELETE", `${API}/attendance/${f.id}`, { ifMatch: current.etag });
  if (answer.status === 412) {
    note(`Figure ${f.id} was changed by someone else — reload the list first.`, true);
    return;
  }
  await listFigures();
  note(answer.ok ? `Deleted figure ${f.id} (${f.period_label}); its revisions stay in its history.` : answer.data?.detail || `HTTP ${answer.status}`, !answer.ok);
}

async function showHistory(id, label) {
  const answer = await call("GET", `${API}/attendance/${id}/revisions`);
  $("history").hidden = false;
  $("history-h").textContent = `Revision history of figure ${id} (${label})`;
  $("history-table").replaceChildren(table(
    ["Revision", "Action", "Completions", "Status", "Note", "Source", "Recorded at", "By"],
    answer.data.items.map((r) => [String(r.revision), r.action, fmt.format(r.completions), r.status, r.note || "", sourceOf(r.source_id), r.recorded_at, r.recorded_by || ""]),
    `Every value figure ${id} has had, oldest first`,
  ));
}

// --- uploads: a dry run, then the real thing ---------------------------------------------

let pending = null; // {body, type, mode, name}

function kindOf(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith(".xlsx")) return XLSX;
  if (name.endsWith(".json")) return "application/json";
  return "text/csv";
}

async function checkUpload(event) {
  event.preventDefault();
  const file = $("upload-file").files[0];
  const preview = $("preview");
  if (!file) {
    preview.replaceChildren(el("p", { class: "bad", role: "alert" }, "Choose a file first."));
    return;
  }
  pending = { body: await file.arrayBuffer(), type: kindOf(file), mode: $("upload-mode").value, name: file.name };
  const answer = await call("POST", `${API}/attendance/import?mode=${pending.mode}&dry_run=true`, { body: pending.body, type: pending.type });
  showReport(answer, true);
}

async function storeUpload() {
  const answer = await call("POST", `${API}/attendance/import?mode=${pending.mode}`, { body: pending.body, type: pending.type });
  showReport(answer, false);
  if (answer.ok) {
    pending = null;
    await listFigures();
  }
}

function showReport(answer, dryRun) {
  const preview = $("preview");
  const r = answer.data || {};
  if (answer.ok) {
    const counts = `${r.rows} rows: ${r.created} to create, ${r.revised} to revise, ${r.unchanged} unchanged`;
    if (!dryRun) {
      preview.replaceChildren(el("p", { class: "note", role: "status" }, `Stored ${pending.name}: ${r.created} created, ${r.revised} revised, ${r.unchanged} unchanged.`));
      return;
    }
    const store = el("button", { type: "button", id: "upload-store" }, "Store these rows");
    store.addEventListener("click", storeUpload);
    preview.replaceChildren(
      el("p", { class: "note", role: "status" }, `Dry run of ${pending.name}: ${counts}. Nothing is stored yet.`),
      store,
    );
    store.focus();
    return;
  }
  const errors = r.errors || [];
  const more = r.error_count > errors.length ? ` The first ${errors.length} of ${r.error_count} problems are listed.` : "";
  preview.replaceChildren(
    el("p", { class: "bad", role: "alert" }, `${r.detail || `HTTP ${answer.status}`}${more}`),
    errors.length
      ? el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Problems by row (scrolls sideways)" },
        table(["Row", "Field", "Problem"], errors.map((e) => [String(e.row ?? ""), e.field, e.message]), `Problems in ${pending.name}, by row`))
      : "",
  );
}

// --- courses and sources --------------------------------------------------------------

async function addCourse(event) {
  event.preventDefault();
  const form = $("course-form");
  const course = { slug: $("course-slug").value.trim(), name: $("course-name").value.trim() };
  if ($("course-first").value) course.first_offered_year = Number($("course-first").value);
  const answer = await call("POST", `${API}/courses`, { json: course });
  if (!answer.ok) return showProblem(form, answer.data, `Not added (HTTP ${answer.status}).`);
  clearProblem(form);
  say(form, `Added the course ${answer.data.name} (${answer.data.slug}).`);
  await loadCatalog();
}

async function addSource(event) {
  event.preventDefault();
  const form = $("source-form");
  const source = {
    title: $("source-title").value.trim(),
    publisher: $("source-publisher").value.trim(),
    published_on: $("source-published").value,
    url: $("source-url").value.trim() || null,
  };
  const answer = await call("POST", `${API}/sources`, { json: source });
  if (!answer.ok) return showProblem(form, answer.data, `Not added (HTTP ${answer.status}).`);
  clearProblem(form);
  say(form, `Added source ${answer.data.id}: ${answer.data.title}.`);
  await loadCatalog();
}

// --- the audit log ----------------------------------------------------------------------

let auditCursor = null;
let auditRows = [];

async function loadAudit(fresh = false) {
  if (fresh) {
    auditCursor = null;
    auditRows = [];
  }
  const params = new URLSearchParams({ limit: "100" });
  if (auditCursor) params.set("cursor", auditCursor);
  const answer = await call("GET", `${API}/audit?${params}`);
  if (!answer.ok) return;
  auditRows = auditRows.concat(answer.data.items);
  auditCursor = answer.data.next_cursor;
  $("audit").replaceChildren(table(["At", "Who", "Action", "Resource"],
    auditRows.map((e) => [e.at, e.actor, e.action, e.resource]), `${auditRows.length} of ${answer.data.total} writes`));
  $("audit-more").hidden = !auditCursor;
}

// --- wiring -----------------------------------------------------------------------------

$("signin-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", signOut);
$("add-form").addEventListener("submit", addFigure);
for (const id of ["add-year", "add-start", "add-end"]) $(id).addEventListener("input", showPeriod);
$("figures-form").addEventListener("submit", listFigures);
$("revise-form").addEventListener("submit", saveRevision);
$("revise-reload").addEventListener("click", () => openRevise(revising.id));
$("revise-cancel").addEventListener("click", () => { $("revise").hidden = true; });
$("upload-form").addEventListener("submit", checkUpload);
$("course-form").addEventListener("submit", addCourse);
$("source-form").addEventListener("submit", addSource);
$("audit-more").addEventListener("click", () => loadAudit());
fillMonths();
