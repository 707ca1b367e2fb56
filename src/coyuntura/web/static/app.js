/* The coyuntura explorer page: picks a scenario, builds the intervention controls, starts jobs, polls them,
   draws the results, tells single runs as chronicles and browses the run store. Talks only to /api. */
"use strict";

const $ = (id) => document.getElementById(id);
const REGIME_COLORS = { civilian_nationalist: "#3b6ea5", right_military: "#4b5a3a", nationalist_military: "#d9822b", workers_government: "#a4341f", civilian_elected: "#7a5aa6" };
const ARM_COLORS = { baseline: "#3b6ea5", intervention: "#d9822b" };
const ATTRIBUTES = ["weight", "organization", "arms", "radicalism", "support", "mobilization", "cohesion", "threshold"];
const POLL_MS = 100;

const state = {
  scenario: null,        // GET /api/scenarios/{id}
  changes: {},           // value path -> value, beyond the experiment's own
  extraPaths: {},        // paths set through "Any value path"
  job: null,             // the job being watched
  request: null,         // the request of the result shown
  result: null,          // the result shown
  polling: null,
};
window.__coyuntura = { state, timings: {}, results: [] };

// --- helpers -------------------------------------------------------------------------------------

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    const detail = data && data.detail !== undefined ? data.detail : response.statusText;
    const text = Array.isArray(detail)
      ? detail.map((d) => `${(d.loc || []).filter((p) => p !== "body").join(".")}: ${d.msg}`).join("\n")
      : String(detail);
    const error = new Error(text);
    error.status = response.status;
    throw error;
  }
  return data;
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

const pct = (p, digits = 1) => (100 * p).toFixed(digits);
const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()) : String(v));
const monthIndex = (m) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const monthText = (i) => `${String(Math.floor(i / 12)).padStart(4, "0")}-${String((i % 12) + 1).padStart(2, "0")}`;

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function setStatus(text) { $("status").textContent = text; }

/* A finished job whose record the run store refused: say so, with the server's message (as text, never markup). */
function showStoreWarning(message) {
  const box = $("store-warning");
  if (!message) { box.replaceChildren(); box.hidden = true; return; }
  box.replaceChildren(
    h("strong", {}, "Not recorded in the run store."),
    " These results are shown but were not saved: they will not appear under Earlier runs and cannot be reopened.",
    h("div", { class: "store-message" }, String(message)),
  );
  box.hidden = false;
}

// --- scenario --------------------------------------------------------------------------------------

async function loadScenarios() {
  const list = await api("GET", "/api/scenarios");
  const picker = $("scenario");
  picker.replaceChildren(...list.map((s) => h("option", { value: s.id }, `${s.id} — ${s.title}`)));
  picker.addEventListener("change", () => selectScenario(picker.value));
  if (list.length) await selectScenario(list[0].id);
}

async function selectScenario(id) {
  const scenario = await api("GET", `/api/scenarios/${encodeURIComponent(id)}`);
  state.scenario = scenario;
  state.changes = {};
  state.extraPaths = {};
  $("scenario-title").textContent = scenario.title;
  $("scenario-description").textContent = scenario.description;
  const doc = scenario.source_document;
  $("runs").max = scenario.limits.max_runs;
  $("seed").max = scenario.limits.max_seed;
  const start = $("start");
  start.replaceChildren(
    h("option", { value: "" }, `Scenario start (${scenario.calendar.start})`),
    ...scenario.snapshots.map((s) => h("option", { value: s.id }, `${s.id} (${s.month})`)),
  );
  const experiment = $("experiment");
  experiment.replaceChildren(h("option", { value: "" }, "(none)"), ...scenario.experiments.map((e) => h("option", { value: e.id }, e.title)));
  $("until").min = scenario.calendar.start;
  $("until").max = scenario.calendar.horizon;
  const cited = [...(doc ? [`${doc.author} (${doc.year}), ${doc.title}`] : []), ...scenario.sources.map((s) => `[${s.id}] ${s.title}`)];
  $("scenario-government").textContent = `${cited.length > 1 ? "Sources" : "Source"}: ${cited.join("; ")}. Calendar ${scenario.calendar.start}..${scenario.calendar.end}, runs may reach ${scenario.calendar.horizon}.`;
  onStartChange();
  renderParameters();
  loadHistory();
}

function snapshotOf(id) { return state.scenario.snapshots.find((s) => s.id === id) || null; }
function experimentOf(id) { return state.scenario.experiments.find((e) => e.id === id) || null; }

/* The default last month, as the library computes it: two years past a snapshot, else the calendar's end. */
function defaultUntil() {
  const scenario = state.scenario;
  const exp = experimentOf($("experiment").value);
  const start = $("start").value;
  if (exp && exp.until && (exp.from || "") === start) return exp.until;
  if (!start) return scenario.calendar.end;
  const month = monthIndex(snapshotOf(start).month) + 24;
  return monthText(Math.min(month, monthIndex(scenario.calendar.horizon)));
}

function startMonth() {
  const snapshot = snapshotOf($("start").value);
  return snapshot ? snapshot.month : state.scenario.calendar.start;
}

function onStartChange() {
  $("until").value = defaultUntil();
  $("until").min = startMonth();
  renderActors();
  renderEvents();
}

function renderActors() {
  const scenario = state.scenario;
  const snapshot = snapshotOf($("start").value);
  const overrides = snapshot ? snapshot.actors : {};
  $("actors-at").textContent = snapshot ? `(at ${snapshot.id}, ${snapshot.month}; values the snapshot sets in red)` : `(at ${scenario.calendar.start})`;
  const government = snapshot ? snapshot.government : scenario.government;
  $("scenario-government").textContent = `Government at the start: ${government.label}, ${government.leader}; policy ${government.policy}, progressive room ${government.progressive_room}.`;
  const table = $("actors");
  const header = h("tr", {}, h("th", {}, "Actor"), h("th", {}, "Kind"), ...ATTRIBUTES.map((a) => h("th", {}, a)));
  const rows = scenario.actors.map((actor) => {
    const cells = ATTRIBUTES.map((name) => {
      const over = overrides[actor.id] && overrides[actor.id][name] !== undefined;
      const value = over ? overrides[actor.id][name] : actor.attributes[name].value;
      const prov = actor.attributes[name];
      const tip = over ? `set by snapshot ${snapshot.id}` : prov.source ? `${prov.source}: ${prov.says}` : `assumption: ${prov.assumption}`;
      return h("td", { class: over ? "override" : null, title: tip, "data-attribute": name }, fmt(value));
    });
    return h("tr", { class: "clickable", "data-actor": actor.id, onclick: () => showActor(actor.id) },
      h("td", { class: "text", title: actor.description }, actor.name), h("td", {}, actor.kind), ...cells);
  });
  table.replaceChildren(h("thead", {}, header), h("tbody", {}, ...rows));
  const weights = Object.fromEntries(scenario.actors.map((a) => {
    const over = overrides[a.id] && overrides[a.id].weight !== undefined;
    return [a.id, over ? overrides[a.id].weight : a.attributes.weight.value];
  }));
  const nodes = scenario.actors.map((a) => ({ id: a.id, name: a.name, kind: a.kind, weight: weights[a.id] }));
  $("network").replaceChildren(Charts.network(nodes, scenario.relations, { onClick: showActor }));
}

function showActor(id) {
  const actor = state.scenario.actors.find((a) => a.id === id);
  if (!actor) return;
  document.querySelectorAll("#actors tr.selected").forEach((r) => r.classList.remove("selected"));
  const row = document.querySelector(`#actors tr[data-actor="${id}"]`);
  if (row) row.classList.add("selected");
  const ties = state.scenario.relations.filter((r) => r.from === id || r.to === id);
  const card = $("actor-card");
  card.replaceChildren(
    h("h4", {}, actor.name),
    h("div", { class: "hint" }, `${actor.kind} · ${actor.checklist.join(", ")}`),
    h("p", {}, actor.description),
    h("div", { class: "hint" }, actor.provenance.source ? `${actor.provenance.source}: ${actor.provenance.says}` : `assumption: ${actor.provenance.assumption}`),
    h("dl", {}, ...ATTRIBUTES.flatMap((name) => [h("dt", {}, name), h("dd", {}, fmt(actor.attributes[name].value))])),
    h("div", { class: "hint" }, ties.length ? "Ties: " + ties.map((r) => `${r.from} → ${r.to} (${r.kind} ${r.weight})`).join("; ") : "No ties."),
  );
}

// --- interventions -------------------------------------------------------------------------------

function experimentSets() {
  const exp = experimentOf($("experiment").value);
  return exp ? exp.set : {};
}

/* The value a control starts from: the experiment's, else the scenario's. */
function baseValue(path, scenarioValue) {
  const sets = experimentSets();
  return path in sets ? sets[path] : scenarioValue;
}

function setChange(path, value, base) {
  if (value === base || (typeof value === "number" && typeof base === "number" && Math.abs(value - base) < 1e-12)) delete state.changes[path];
  else state.changes[path] = value;
}

/* A round slider step giving about 100-1000 positions over the range (0.01 over [0.5, 4], 0.0001 over [0, 0.05]). */
function niceStep(range) {
  return Math.pow(10, Math.floor(Math.log10(range / 100)));
}

function renderParameters() {
  const groups = {};
  for (const p of state.scenario.parameters) {
    const group = p.path.split(".").slice(0, -1).join(".");
    (groups[group] = groups[group] || []).push(p);
  }
  const container = $("parameters");
  container.replaceChildren(...Object.entries(groups).map(([group, params]) => {
    const details = h("details", { class: "param-group" }, h("summary", {}, `${group} (${params.length})`));
    for (const p of params) {
      const base = baseValue(p.path, p.value);
      const current = p.path in state.changes ? state.changes[p.path] : base;
      const output = h("output", {}, fmt(current));
      const wrapper = h("div", { class: "param" + (p.path in state.changes ? " changed" : "") });
      const slider = h("input", {
        type: "range", min: p.low, max: p.high, step: niceStep(p.high - p.low), value: current, "data-path": p.path,
        title: p.source ? `${p.source}: ${p.says}` : `assumption: ${p.assumption}`,
        oninput: (e) => {
          const value = Number(e.target.value);
          setChange(p.path, value, base);
          output.textContent = fmt(value);
          wrapper.classList.toggle("changed", p.path in state.changes);
        },
      });
      wrapper.append(h("span", { class: "name" }, `${p.path.split(".").pop()} [${fmt(p.low)}, ${fmt(p.high)}]`), slider, output);
      details.appendChild(wrapper);
      if (p.path in state.changes || p.path in experimentSets()) details.open = true;
    }
    return details;
  }));
  renderExperimentSets();
  renderPaths();
}

function renderExperimentSets() {
  const exp = experimentOf($("experiment").value);
  $("experiment-description").textContent = exp ? `${exp.description} ${exp.provenance.source ? `(${exp.provenance.source})` : ""}` : "";
  const container = $("experiment-sets");
  if (!exp) { container.replaceChildren(); return; }
  const sliders = new Set(state.scenario.parameters.map((p) => p.path));
  const items = Object.entries(exp.set).filter(([path]) => !sliders.has(path)).map(([path, value]) => {
    const current = path in state.changes ? state.changes[path] : value;
    let input;
    if (typeof value === "boolean") {
      input = h("input", { type: "checkbox", "data-path": path, onchange: (e) => setChange(path, e.target.checked, value) });
      input.checked = current;
    } else if (typeof value === "number") {
      input = h("input", { type: "number", step: "any", value: current, "data-path": path, onchange: (e) => setChange(path, Number(e.target.value), value) });
    } else {
      input = h("input", { value: Array.isArray(current) ? current.join(",") : current, "data-path": path, disabled: true });
    }
    return h("label", {}, path, input);
  });
  const added = exp.add_events.map((e) => h("div", { class: "hint" }, `Adds event ${e.id} (${e.month}): ${e.description}`));
  container.replaceChildren(...items, ...added);
}

function renderEvents() {
  const first = monthIndex(startMonth());
  const cancelled = new Set((experimentOf($("experiment").value) || { cancel_events: [] }).cancel_events);
  const current = new Set(Array.from(document.querySelectorAll("#events input:not(:checked)")).map((i) => i.dataset.event));
  $("events").replaceChildren(...state.scenario.events.map((e) => {
    const before = monthIndex(e.month) < first;
    const box = h("input", { type: "checkbox", "data-event": e.id, disabled: before || cancelled.has(e.id) });
    box.checked = !(cancelled.has(e.id) || current.has(e.id));
    return h("label", { class: "event-toggle" + (before ? " disabled" : ""), title: before ? "Before the start month: it has already happened." : e.description },
      box, h("span", {}, `${e.month} ${e.id}`, h("span", { class: "hint" }, before ? " (before the start)" : cancelled.has(e.id) ? " (cancelled by the experiment)" : "")));
  }));
}

function cancelledEvents() {
  return Array.from(document.querySelectorAll("#events input[data-event]"))
    .filter((box) => !box.checked && !box.disabled)
    .map((box) => box.dataset.event);
}

function parseValue(text) {
  const t = text.trim();
  if (t === "true" || t === "false") return t === "true";
  if (t !== "" && !Number.isNaN(Number(t))) return Number(t);
  return t;
}

function renderPaths() {
  $("path-list").replaceChildren(...Object.entries(state.extraPaths).map(([path, value]) =>
    h("li", {}, `${path} = ${value}`, h("button", { class: "small", onclick: () => { delete state.extraPaths[path]; renderPaths(); } }, "remove"))));
}

function resetInterventions() {
  state.changes = {};
  state.extraPaths = {};
  $("experiment").value = "";
  document.querySelectorAll("#events input[data-event]").forEach((box) => { box.checked = true; });
  onStartChange();
  renderParameters();
}

function buildRequest() {
  const until = $("until").value;
  return {
    scenario: state.scenario.id,
    start: $("start").value || null,
    until: until || null,
    experiment: $("experiment").value || null,
    changes: { ...state.changes, ...state.extraPaths },
    cancel_events: cancelledEvents(),
    runs: Number($("runs").value),
    seed: Number($("seed").value),
  };
}

// --- jobs ----------------------------------------------------------------------------------------

async function startRun(request, path = "/api/runs") {
  const timings = (window.__coyuntura.timings = { clicked: performance.now() });
  showError("");
  showStoreWarning("");
  try {
    const job = path === "/api/runs" ? await api("POST", path, request) : await api("POST", path);
    timings.accepted = performance.now();
    watch(job);
  } catch (error) {
    showError(error.message);
    setStatus("Not started.");
  }
}

function watch(job) {
  state.job = job;
  $("run").disabled = true;
  $("cancel").disabled = false;
  $("progress-bar").style.width = "0%";
  setStatus(`${job.kind === "whatif" ? "What-if" : "Run"} queued…`);
  clearInterval(state.polling);
  state.polling = setInterval(() => poll(job.id), POLL_MS);
}

async function poll(id) {
  let job;
  try { job = await api("GET", `/api/jobs/${id}`); } catch (error) { stopPolling(); showError(error.message); return; }
  if (!state.job || state.job.id !== id) return;
  const share = job.progress.total ? job.progress.done / job.progress.total : 0;
  $("progress-bar").style.width = `${(100 * share).toFixed(1)}%`;
  if (job.status === "queued") setStatus("Queued: waiting for a free worker…");
  if (job.status === "running") setStatus(`Simulating: ${job.progress.done.toLocaleString()} of ${job.progress.total.toLocaleString()} runs (${job.elapsed.toFixed(1)} s)`);
  if (job.status === "done") {
    stopPolling();
    window.__coyuntura.timings.done = performance.now();
    renderResult(job.request, job.result);
    const t = window.__coyuntura.timings;
    t.shown = performance.now();
    const seconds = ((t.shown - t.clicked) / 1000).toFixed(2);
    const runs = `${job.result.runs.toLocaleString()} runs${job.result.kind === "whatif" ? " × 2 arms" : ""}`;
    const unrecorded = job.result.store_error ? " — not recorded in the run store (see the warning)" : "";
    setStatus(`Done: ${runs} simulated in ${job.result.compute_seconds} s; charts shown ${seconds} s after the click${unrecorded}.`);
    showStoreWarning(job.result.store_error);
    document.body.dataset.resultJob = job.id;
    setTimeout(loadHistory, 400);
  }
  if (job.status === "failed") { stopPolling(); showError(job.error); setStatus("Failed."); }
  if (job.status === "cancelled") { stopPolling(); setStatus(`Cancelled after ${job.progress.done.toLocaleString()} runs.`); }
}

function stopPolling() {
  clearInterval(state.polling);
  state.polling = null;
  $("run").disabled = false;
  $("cancel").disabled = true;
}

async function cancelRun() {
  if (!state.job) return;
  try { await api("POST", `/api/jobs/${state.job.id}/cancel`); } catch (error) { showError(error.message); }
}

// --- results -------------------------------------------------------------------------------------

function renderResult(request, result) {
  state.request = request;
  state.result = result;
  window.__coyuntura.results.push(result);
  const whatif = result.kind === "whatif";
  const arms = whatif ? ["baseline", "intervention"] : ["baseline"];
  const summary = `${result.runs.toLocaleString()} runs, seed ${result.seed}, ${result.start} to ${result.until}` +
    (result.start_snapshot ? ` (from snapshot ${result.start_snapshot})` : "") +
    (whatif ? ` — what-if${result.comparison.intervention.name !== "web" ? ` ${result.comparison.intervention.name}` : ""}: baseline vs intervention on common random numbers.` : ".");
  $("result-summary").textContent = summary;
  const notes = [...result.notes];
  if (result.reopened) notes.unshift(`Reopened record ${result.reopened.record}: ${result.reopened.reproduced ? "the numbers match the stored ones exactly." : "the numbers differ from the stored ones (the scenario or the code changed since)."}`);
  $("result-notes").replaceChildren(...notes.map((n) => h("li", {}, n)));

  // comparison
  $("comparison-block").hidden = !whatif;
  if (whatif) $("comparison").replaceChildren(Charts.forest(result.comparison.rows));
  else $("comparison").replaceChildren();

  // regimes, side by side
  $("regimes").replaceChildren(...arms.map((arm) => {
    const data = result[arm];
    const rows = data.regimes.keys.map((key, r) => ({ key, label: data.regimes.labels[r], p: data.regimes.p[r], se: data.regimes.se[r], color: (data.regimes.colours && data.regimes.colours[r]) || REGIME_COLORS[key] || "#777" }));
    const wrap = h("div", { class: "chart", "data-arm": arm });
    wrap.appendChild(Charts.probabilityLines(data.months, rows, { arm, title: whatif ? (arm === "baseline" ? "Baseline" : "Intervention") : "All runs", titleColor: ARM_COLORS[arm] }));
    wrap.appendChild(h("div", { class: "legend" }, ...rows.map((r) => h("span", {}, h("i", { style: `background:${r.color}` }), r.label))));
    return wrap;
  }));

  renderEventTable(result, arms);

  // fans
  $("legend-fans").replaceChildren(...arms.map((arm) => h("span", {}, h("i", { style: `background:${ARM_COLORS[arm]}` }), whatif ? arm : "all runs")));
  const base = result.baseline;
  $("fans").replaceChildren(...base.actors.map((actor, a) => {
    const series = arms.map((arm) => ({ arm, label: `${actor.name} (${arm})`, color: ARM_COLORS[arm], values: result[arm].strength.values[a] }));
    return h("div", { class: "fan", "data-actor": actor.id }, h("h4", { title: actor.name }, actor.name), Charts.fan(base.months, series));
  }));

  renderExamples(result);
  showChronicle(firstExample(result));
}

/* The run to tell first: for a what-if, one where the outcome that moved most happens only with the intervention. */
function firstExample(result) {
  if (result.kind !== "whatif") return 0;
  const rows = [...result.comparison.rows].sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference));
  for (const row of rows) {
    const runs = result.examples[row.key];
    const list = runs && (row.difference >= 0 ? runs.gained : runs.lost);
    if (list && list.length) return list[0];
  }
  return 0;
}

function renderEventTable(result, arms) {
  const events = result.baseline.events;
  const groups = events.groups;
  let max = 0;
  for (const arm of arms) for (const row of result[arm].events.rows) for (const p of row.p) max = Math.max(max, p);
  max = Math.max(0.05, Math.min(1, max * 1.05));
  const header = h("tr", {}, h("th", {}, "Outcome"), ...groups.map((g) => h("th", {}, g.replace(" (whole run)", " (whole run)"))));
  const body = events.rows.map((row, j) => h("tr", { "data-key": row.key }, h("td", { class: "text" }, row.label), ...groups.map((g, k) => {
    const cell = h("td", { class: "cell", "data-group": g });
    const texts = [];
    for (const arm of arms) {
      const r = result[arm].events.rows.find((other) => other.key === row.key);  // by key: an arm may show fewer outcomes
      if (!r) { texts.push("—"); continue; }
      cell.appendChild(Charts.bar(r.p[k], r.se[k], max, ARM_COLORS[arm], `${row.label}, ${g}, ${arm}: ${pct(r.p[k])}% ± ${pct(r.se[k])}`, { arm }));
      texts.push(`${pct(r.p[k])} ±${pct(r.se[k])}`);
    }
    cell.appendChild(h("span", { class: "cell-text" }, texts.join(" → ")));
    return cell;
  })));
  $("events-chart").replaceChildren(h("table", { class: "data events" }, h("thead", {}, header), h("tbody", {}, ...body)));
}

function renderExamples(result) {
  const container = $("chronicle-examples");
  const whatif = result.kind === "whatif";
  const items = [];
  for (const [key, runs] of Object.entries(result.examples)) {
    const list = whatif ? runs.gained : runs;
    if (!list.length) continue;
    const label = (state.scenario.outcomes.find((o) => o.key === key) || { label: key }).label;
    items.push(h("span", {}, `${label}${whatif ? " (only with the intervention)" : ""}: `,
      ...list.slice(0, 3).map((run) => h("a", { href: "#chronicle", "data-run": run, onclick: (e) => { e.preventDefault(); showChronicle(run); } }, `#${run}`))));
    if (items.length >= 6) break;
  }
  container.replaceChildren(h("span", {}, "Example runs — "), ...items);
}

// --- chronicles ----------------------------------------------------------------------------------

async function showChronicle(run) {
  if (!state.request || !state.result) return;
  $("chronicle-run").value = run;
  const arms = state.result.kind === "whatif" ? ["baseline", "intervention"] : ["baseline"];
  const base = { ...state.request };
  delete base.runs;
  const container = $("chronicles");
  container.replaceChildren(h("p", { class: "hint" }, `Telling run ${run}…`));
  try {
    const payloads = await Promise.all(arms.map((arm) => api("POST", "/api/chronicle", { ...base, run, arm })));
    const keys = payloads.map((data) => new Set(data.lines.map((l) => `${l.date} ${l.text}`)));
    container.replaceChildren(...payloads.map((data, i) => renderChronicle(data, arms.length > 1, arms.length > 1 ? keys[1 - i] : null)));
    window.__coyuntura.chronicles = payloads;
  } catch (error) {
    container.replaceChildren(h("p", { class: "error" }, error.message));
  }
}

function renderChronicle(data, paired, other) {
  const title = `${paired ? (data.arm === "baseline" ? "Baseline" : "Intervention") + ", run" : "Run"} ${data.run} (seed ${data.seed}), ${data.start} to ${data.until}: ${data.lines.length} events`;
  const items = data.lines.map((line, i) => h("li", { "data-index": i, "data-mechanism": line.mechanism,
    class: other && !other.has(`${line.date} ${line.text}`) ? "differs" : null, title: other && !other.has(`${line.date} ${line.text}`) ? "Not in the other arm's run" : null },
    h("time", {}, line.date), h("span", { class: "line-text" }, line.text),
    h("span", { class: "links" },
      h("a", { href: `#mechanism-${line.mechanism}`, class: "mechanism-link", "data-mechanism": line.mechanism, onclick: (e) => { e.preventDefault(); showMechanism(line.mechanism); } },
        [line.mechanism_title, ...line.covers].join(" · ")),
      ...line.locators.map((loc) => locatorLink(loc)))));
  return h("div", { class: "chronicle", "data-arm": data.arm, "data-run": data.run },
    h("h4", { class: data.arm === "baseline" ? "baseline-color" : "treat-color" }, title),
    items.length ? h("ol", {}, ...items) : h("p", { class: "hint" }, "Nothing the event log records happened in this run."));
}

function locatorLink(loc) {
  return h("a", { href: `#source-${loc.section.replace(/\W+/g, "-")}-${loc.start}-${loc.end}`, class: "locator-link", "data-section": loc.section,
    "data-start": loc.start, "data-end": loc.end, onclick: (e) => { e.preventDefault(); showSource(loc); } }, loc.text);
}

function showMechanism(name) {
  const m = state.scenario.mechanisms.find((x) => x.name === name);
  const detail = $("detail");
  if (!m) {
    detail.replaceChildren(h("h4", {}, name === "exogenous_events" ? "Scheduled exogenous events" : name),
      h("p", {}, "Events the scenario schedules from outside the model; each cites its own source."));
    return;
  }
  const params = state.scenario.parameters.filter((p) => p.path.startsWith(`mechanisms.${name}.`));
  detail.replaceChildren(
    h("h4", { "data-mechanism": name }, `${m.title}`),
    h("div", { class: "hint" }, `mechanism ${m.name} · covers ${m.covers.join(", ") || "—"}${m.enabled ? "" : " · disabled in this scenario"}`),
    h("p", {}, "Source passages it encodes:"),
    h("div", {}, ...m.locators.map((loc) => locatorLink(loc))),
    params.length ? h("p", { class: "hint" }, `Free parameters: ${params.map((p) => `${p.path.split(".").pop()} = ${fmt(p.value)}`).join(", ")}`) : null,
  );
}

function showSource(loc) {
  const doc = state.scenario.source_document;
  if (!doc) return;  // a scenario citing only further sources has no line-numbered analysis to show
  const section = doc.sections.find((s) => s.title === loc.section);
  const overlapping = state.scenario.citations.filter((c) => c.locator.section === loc.section && c.locator.start <= loc.end && c.locator.end >= loc.start);
  const mechanisms = state.scenario.mechanisms.filter((m) => m.locators.some((l) => l.section === loc.section && l.start <= loc.end && l.end >= loc.start));
  $("detail").replaceChildren(
    h("h4", { "data-locator": loc.text }, loc.text),
    h("div", { class: "hint" }, `${doc.author} (${doc.year}), “${doc.title}” — section “${loc.section}”${section ? `, lines ${section.lines[0]}–${section.lines[1]}` : ""}. The source text is not shipped; what the scenario takes from these lines, in its own words:`),
    ...overlapping.slice(0, 12).map((c) => h("blockquote", {}, c.says, h("div", { class: "where" }, `${c.locator.text} → ${c.where}`))),
    overlapping.length > 12 ? h("p", { class: "hint" }, `… and ${overlapping.length - 12} more.`) : null,
    mechanisms.length ? h("p", {}, "Mechanisms citing these lines: ", ...mechanisms.map((m) => h("a", { href: `#mechanism-${m.name}`, onclick: (e) => { e.preventDefault(); showMechanism(m.name); } }, m.title))) : null,
  );
}

// --- history -------------------------------------------------------------------------------------

let historyLoads = 0;
let historyShown = null;

async function loadHistory() {
  // Only the latest of overlapping loads draws, and an unchanged list is not redrawn: a button must
  // not be swapped for a new one under the pointer between a press and its click.
  const table = $("history-table");
  const load = ++historyLoads;
  let records;
  try { records = await api("GET", "/api/history?limit=30"); } catch (error) {
    if (load !== historyLoads) return;
    historyShown = null;
    table.dataset.loads = String(load);
    table.replaceChildren(h("tr", {}, h("td", { class: "text" }, error.message)));
    return;
  }
  if (load !== historyLoads) return;
  const shown = JSON.stringify(records);
  table.dataset.loads = String(load);
  if (shown === historyShown) return;
  historyShown = shown;
  const header = h("tr", {}, ...["When (UTC)", "Kind", "Name", "Scenario", "Runs", "Seed", "Span", "Seconds", ""].map((t) => h("th", {}, t)));
  const rows = records.map((r) => h("tr", { "data-record": r.id },
    h("td", {}, r.created || ""), h("td", {}, r.kind), h("td", { class: "text" }, r.name || ""), h("td", {}, r.scenario_id || ""),
    h("td", {}, r.n_runs != null ? r.n_runs.toLocaleString() : ""), h("td", {}, r.seed != null ? r.seed : ""),
    h("td", {}, r.start_month ? `${r.start_month}..${r.until_month || ""}` : ""), h("td", {}, r.wall_time != null ? r.wall_time.toFixed(2) : ""),
    h("td", {}, r.reopenable ? h("button", { class: "small", "data-open": r.id, onclick: () => reopen(r.id) }, "Open") : h("span", { class: "hint" }, "—"))));
  table.replaceChildren(h("thead", {}, header), h("tbody", {}, ...(rows.length ? rows : [h("tr", {}, h("td", { class: "text" }, "No runs recorded yet."))])));
}

async function reopen(recordId) {
  location.hash = "#results";
  await startRun(null, `/api/history/${recordId}/open`);
}

// --- wiring --------------------------------------------------------------------------------------

function wire() {
  $("start").addEventListener("change", onStartChange);
  $("experiment").addEventListener("change", () => {
    state.changes = {};
    const exp = experimentOf($("experiment").value);
    if (exp) $("start").value = exp.from || "";
    onStartChange();
    renderParameters();
  });
  $("run").addEventListener("click", () => startRun(buildRequest()));
  $("cancel").addEventListener("click", cancelRun);
  $("reset").addEventListener("click", resetInterventions);
  $("path-add").addEventListener("click", () => {
    const path = $("path").value.trim();
    if (!path) return;
    state.extraPaths[path] = parseValue($("path-value").value);
    renderPaths();
  });
  $("chronicle-show").addEventListener("click", () => showChronicle(Math.max(0, Number($("chronicle-run").value) || 0)));
  $("history-refresh").addEventListener("click", loadHistory);
}

document.addEventListener("DOMContentLoaded", async () => {
  wire();
  try {
    await loadScenarios();
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(`Could not load the scenarios: ${error.message}`);
  }
});
