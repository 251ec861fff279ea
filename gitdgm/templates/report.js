"use strict";
// gitdgm report: everything comes from the embedded JSON; text is always set with textContent (never parsed as HTML).
(function () {
  const DATA = JSON.parse(document.getElementById("gitdgm-data").textContent);
  const PAGE = 100;
  const byId = new Map(DATA.agents.map((a) => [a.id, a]));
  const onBest = new Set(DATA.best_path);
  const state = { key: "generation", dir: 1, filter: "", status: "", page: 0, rows: DATA.agents, selected: null, zoom: 1 };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "onclick") node.addEventListener("click", v); else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    return node;
  }
  const fmtScore = (s) => (s == null ? "-" : Number(s).toFixed(3));
  const fmtCost = (c) => (c == null ? "-" : Number(c).toFixed(2));

  // --- header -------------------------------------------------------------------------------------------------
  function header() {
    const m = DATA.meta;
    document.getElementById("archive-name").textContent = m.archive;
    const admitted = DATA.agents.filter((a) => a.status === "evaluated");
    const best = DATA.best_path.length ? byId.get(DATA.best_path[DATA.best_path.length - 1]) : null;
    const cost = DATA.agents.reduce((t, a) => t + (a.cost_usd || 0), 0);
    const stats = document.getElementById("stats");
    for (const [label, value] of [["agents", m.agents], ["admitted", admitted.length],
      ["best", best ? `${fmtScore(best.score)} (${best.id})` : "-"], ["total cost", `$${cost.toFixed(2)}`],
      ["generated", m.generated_at], ["gitdgm", m.gitdgm_version]]) {
      stats.append(el("span", {}, `${label} `, el("b", {}, value)));
    }
    const notes = [];
    if (m.tree_note) notes.push(`Tree: ${m.tree_note}; the table lists every agent.`);
    const nDetails = Object.keys(DATA.details).length;
    if (nDetails < m.agents) notes.push(`Full details (record, diff, per-task results) are embedded for ${nDetails} of ${m.agents} agents (the best lineage, then the best-scoring); for the others run \`gitdgm show ID\`.`);
    document.getElementById("notes").textContent = notes.join(" ");
  }

  // --- tree ---------------------------------------------------------------------------------------------------
  const treeBox = document.getElementById("tree");
  const svg = treeBox.querySelector("svg");
  const natural = svg ? { w: svg.width.baseVal.value, h: svg.height.baseVal.value } : null;
  function setZoom(z) {
    if (!svg) return;
    state.zoom = Math.max(0.05, Math.min(8, z));
    svg.setAttribute("width", natural.w * state.zoom);
    svg.setAttribute("height", natural.h * state.zoom);
  }
  document.getElementById("zoom-in").onclick = () => setZoom(state.zoom * 1.25);
  document.getElementById("zoom-out").onclick = () => setZoom(state.zoom / 1.25);
  document.getElementById("zoom-fit").onclick = () => setZoom((treeBox.clientWidth - 16) / natural.w);
  treeBox.addEventListener("click", (ev) => {
    const node = ev.target.closest("g.node");
    if (node && node.id.startsWith("a-")) select(node.id.slice(2), false);
  });
  function treeNode(id) { return document.getElementById(`a-${id}`); }

  // --- table --------------------------------------------------------------------------------------------------
  const tbody = document.querySelector("#agents tbody");
  function compare(a, b) {
    const x = a[state.key], y = b[state.key];
    if (x == null && y == null) return a.id < b.id ? -1 : 1;
    if (x == null) return 1;
    if (y == null) return -1;
    if (x < y) return -state.dir;
    if (x > y) return state.dir;
    return a.id < b.id ? -1 : 1;
  }
  function refresh() {
    const f = state.filter.toLowerCase();
    state.rows = DATA.agents.filter((a) => (!state.status || a.status === state.status) &&
      (!f || a.id.includes(f) || (a.parent || "").includes(f) || (a.summary || "").toLowerCase().includes(f)));
    state.rows.sort(compare);
    state.page = Math.min(state.page, Math.max(0, Math.ceil(state.rows.length / PAGE) - 1));
    renderRows();
  }
  function renderRows() {
    const start = state.page * PAGE, rows = state.rows.slice(start, start + PAGE);
    const frag = document.createDocumentFragment();
    for (const a of rows) {
      const tr = el("tr", { "data-id": a.id, class: (onBest.has(a.id) ? "best " : "") + (a.id === state.selected ? "selected" : "") },
        el("td", {}, a.id), el("td", {}, a.parent || "-"), el("td", { class: "num" }, a.generation),
        el("td", { class: "num" }, fmtScore(a.score)),
        el("td", { class: "num" }, a.attempted ? `${a.resolved}/${a.attempted}` : "-"),
        el("td", { class: "num" }, a.clade),
        el("td", { class: "num" }, a.children), el("td", { class: "num" }, fmtCost(a.cost_usd)),
        el("td", { class: `status-${a.status}` }, a.status), el("td", { class: "summary", title: a.summary }, a.summary));
      frag.append(tr);
    }
    tbody.replaceChildren(frag);
    const total = state.rows.length;
    document.getElementById("count").textContent = `${total} of ${DATA.agents.length} agents`;
    document.getElementById("page").textContent = total ? `${start + 1}–${Math.min(start + PAGE, total)} of ${total}` : "no agents match";
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = start + PAGE >= total;
  }
  document.querySelectorAll("#agents th").forEach((th) => th.addEventListener("click", () => {
    const key = th.dataset.key;
    state.dir = state.key === key ? -state.dir : (["score", "children", "cost_usd", "resolved"].includes(key) ? -1 : 1);
    state.key = key;
    document.querySelectorAll("#agents th").forEach((h) => h.classList.remove("asc", "desc"));
    th.classList.add(state.dir > 0 ? "asc" : "desc");
    refresh();
  }));
  tbody.addEventListener("click", (ev) => { const tr = ev.target.closest("tr"); if (tr) select(tr.dataset.id, true); });
  document.getElementById("filter").addEventListener("input", (ev) => { state.filter = ev.target.value.trim(); state.page = 0; refresh(); });
  document.getElementById("status-filter").addEventListener("change", (ev) => { state.status = ev.target.value; state.page = 0; refresh(); });
  document.getElementById("prev").onclick = () => { state.page--; renderRows(); };
  document.getElementById("next").onclick = () => { state.page++; renderRows(); };

  // --- the side panel -----------------------------------------------------------------------------------------
  const panel = document.getElementById("panel");
  const link = (id) => el("a", { onclick: () => select(id, true) }, id);
  function flatten(obj, prefix, out) {
    for (const [k, v] of Object.entries(obj || {})) {
      if (k === "tasks") continue;
      if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, `${prefix}${k}.`, out);
      else out.push([prefix + k, Array.isArray(v) ? JSON.stringify(v) : v]);
    }
    return out;
  }
  function definitions(pairs) {
    const dl = el("dl");
    for (const [k, v] of pairs) dl.append(el("dt", {}, k), el("dd", { "data-field": k }, v));
    return dl;
  }
  function diffBlock(text) {
    const pre = el("pre", { class: "diff" });
    for (const line of text.split("\n")) {
      const cls = line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") ? "meta"
        : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "";
      pre.append(el("span", cls ? { class: cls } : {}, line + "\n"));
    }
    return pre;
  }
  function showPanel(id) {
    const a = byId.get(id), d = DATA.details[id];
    const children = DATA.agents.filter((c) => c.parent === id);
    const parts = [el("h2", {}, `agent ${a.id}`, onBest.has(id) ? " ★ best lineage" : ""),
      el("dl", {}, el("dt", {}, "status"), el("dd", { "data-field": "status", class: `status-${a.status}` }, a.status),
        el("dt", {}, "score"), el("dd", { "data-field": "score" }, a.attempted ? `${fmtScore(a.score)} (${a.resolved}/${a.attempted})` : fmtScore(a.score)),
        el("dt", {}, "clade"), el("dd", { "data-field": "clade" }, a.clade),
        el("dt", {}, "generation"), el("dd", { "data-field": "generation" }, a.generation),
        el("dt", {}, "parent"), el("dd", { "data-field": "parent" }, a.parent ? link(a.parent) : "- (seed)"),
        el("dt", {}, "children"), el("dd", { "data-field": "children" }, ...children.flatMap((c) => [link(c.id), " "]), children.length ? "" : "none"),
        el("dt", {}, "cost"), el("dd", { "data-field": "cost_usd" }, `$${fmtCost(a.cost_usd)}`),
        el("dt", {}, "commit"), el("dd", { "data-field": "commit" }, a.commit)),
      el("h3", {}, "Summary"), el("p", { id: "subject" }, d ? d.subject : a.summary)];
    if (!d) {
      parts.push(el("p", { class: "note", id: "no-details" }, `Details are not embedded for this agent (the report embeds ${Object.keys(DATA.details).length}); run: gitdgm show ${id}`));
    } else {
      if (d.problem_statement) parts.push(el("h3", {}, "Problem statement"), el("pre", { id: "problem" }, d.problem_statement));
      const tasks = Object.entries((d.record || {}).tasks || {}).sort();
      if (tasks.length) {
        const table = el("table", { id: "tasks" }, el("thead", {}, el("tr", {}, el("th", {}, "task"), el("th", {}, "outcome"), el("th", {}, "seconds"), el("th", {}, "note"))));
        const body = el("tbody");
        for (const [task, r] of tasks) {
          body.append(el("tr", {}, el("td", {}, task), el("td", { class: `outcome-${r.outcome}` }, r.outcome),
            el("td", { class: "num" }, r.duration == null ? "-" : Number(r.duration).toFixed(1)),
            (r.tampering || []).length
              ? el("td", { class: "tampering" }, `tampering dropped: ${r.tampering.join("; ")}`)
              : el("td", {}, r.reason || "")));
        }
        table.append(body);
        parts.push(el("h3", {}, `Tasks (${tasks.filter(([, r]) => r.outcome === "resolved").length}/${tasks.length} resolved)`), table);
      }
      parts.push(el("h3", {}, "Record"), el("div", { id: "record" }, definitions(flatten(d.record, "", []))));
      if (d.diff) {
        parts.push(el("h3", {}, "Diff from parent"), diffBlock(d.diff));
        if (d.diff_truncated) parts.push(el("p", { class: "note" }, `diff truncated; run: git show ${a.commit}`));
      }
    }
    panel.replaceChildren(...parts);
    panel.scrollTop = 0;
  }
  function select(id, scrollTree) {
    if (!byId.has(id)) return;
    state.selected = id;
    document.querySelectorAll("#tree g.node.selected").forEach((n) => n.classList.remove("selected"));
    const node = treeNode(id);
    if (node) {
      node.classList.add("selected");
      if (scrollTree) node.scrollIntoView({ block: "center", inline: "center" });
    }
    tbody.querySelectorAll("tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
    showPanel(id);
    history.replaceState(null, "", `#${id}`);
  }

  header();
  refresh();
  const wanted = location.hash.slice(1);
  if (wanted && byId.has(wanted)) select(wanted, true);
  document.body.dataset.ready = "1";
})();
