// The reviewer's page: plain JavaScript over the service's JSON endpoints, no build step.
// The case form is built from the Case JSON Schema (/api/schema/case) and the chosen item's declared facts,
// so fields added to the contract appear without changing this file; the decision is rendered field by field,
// with unknown fields shown as JSON rather than dropped.
"use strict";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

const L = {
  outcome: {penalty: "给予行政处罚", no_penalty: "不予行政处罚", may_waive: "可以不予行政处罚", time_barred: "超过追责时效，不再给予行政处罚"},
  route: {catalogue: "按执法事项目录", empowered: "赋权乡镇（街道）以自身名义", dispatched: "派驻执法队以派出机关名义",
          "retained-major": "重大处罚由县级部门管辖", designated: "管辖争议，待协商或指定", none: "无执法主体"},
  level: {city: "市级", county: "县级", township: "乡镇（街道）"},
  kind: {comprehensive: "综合行政执法", specialist: "专业执法", department: "部门执法", township: "乡镇（街道）"},
  adjustment: {none: "无", lighter: "从轻", reduced: "减轻", heavier: "从重"},
  procedure: {simplified: "简易程序（当场处罚）", ordinary: "普通程序"},
  mode: {empowered: "赋权", dispatched: "派驻", none: "无"},
  listKind: {no_penalty: "不予处罚", may_waive: "首违不罚（可以不予处罚）", reduced: "减轻处罚"},
  status: {unconfirmed: "规则集标注为未经证实", assumed: "案件未写明，按此假定"},
  field: {
    county: "区/县/县级市", township: "乡镇/街道", zone: "功能区", code: "统计用区划代码",
    kind: "当事人类型", age: "年龄（周岁）", capacity: "辨认/控制能力",
    occurred_on: "违法行为发生日", ended_on: "连续或继续状态终了日", discovered_on: "发现（立案）日",
    proposed_fine: "拟罚款金额（元）",
    first_offence: "初次违法", corrected: "及时改正", no_fault: "足以证明没有主观过错", coerced: "受胁迫或诱骗",
    self_reported: "主动供述行政机关尚未掌握的违法行为", meritorious: "立功表现", mitigated_harm: "主动消除或减轻危害后果",
    life_health_or_finance: "涉及公民生命健康安全、金融安全", suspected_crime: "涉嫌犯罪", harm: "危害后果",
  },
  value: {individual: "个人", organisation: "单位", full: "完全", limited: "尚未完全丧失", none: "无（不能辨认或控制）",
          minor: "轻微", serious: "严重"},
  harm: {none: "没有造成危害后果", minor: "轻微", serious: "严重"},
};

const state = {rulesets: [], items: [], areas: [], schema: null, item: null};

async function api(path, opts) {
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({error: "InvalidResponse", message: `HTTP ${r.status}`}));
  return {ok: r.ok, status: r.status, body};
}

function deref(s) {
  if (s && s.$ref) return state.schema.$defs[s.$ref.split("/").pop()];
  return s || {};
}

function plain(s) {  // the non-null member of an anyOf [X, null]
  s = deref(s);
  if (s.anyOf) {
    const m = s.anyOf.find((x) => x.type !== "null");
    return {...deref(m), nullable: true, description: s.description, default: s.default};
  }
  return s;
}

// an element id for a case path: fact names are Chinese, so encode them rather than strip them
function fid(path) { return "f-" + encodeURIComponent(path).replace(/%/g, "_").replace(/\./g, "-"); }

function label(name) { return L.field[name] || name; }
function cite(basis) {
  if (!basis) return "";
  return `<a class="cite" href="/law?cite=${encodeURIComponent(basis)}" target="_self">${esc(basis)}</a>`;
}

// ── ruleset and date ──────────────────────────────────────────────────────────────────────────────────────
function rulesetName() { return $("#ruleset").value; }
function onDate() { return $("#decided_on").value; }

async function init() {
  const today = new Date().toISOString().slice(0, 10);
  $("#decided_on").value = today;
  const [rs, schema] = await Promise.all([api("/api/rulesets"), api("/api/schema/case")]);
  state.rulesets = rs.body;
  state.schema = schema.body;
  const sel = $("#ruleset");
  for (const r of state.rulesets) {
    const o = document.createElement("option");
    o.value = r.name;
    o.textContent = `${r.name}（${r.counties.join("、") || "上级层"}）`;
    sel.appendChild(o);
  }
  const leaf = state.rulesets.find((r) => r.leaf && r.counties.length);
  if (leaf) sel.value = leaf.name;
  sel.addEventListener("change", loadRuleset);
  $("#decided_on").addEventListener("change", () => { showVersion(); if (state.item) chooseItem(state.item.item.code); renderBrowse(); });
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => showView(b.dataset.view)));
  document.querySelectorAll(".subtab").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll(".subtab").forEach((x) => x.classList.toggle("active", x === b));
    renderBrowse();
  }));
  $("#case-form").addEventListener("submit", (e) => { e.preventDefault(); evaluate(); });
  setupItemPicker();
  buildStaticFields();
  await loadRuleset();
}

function showView(v) {
  document.querySelectorAll(".tab").forEach((b) => b.classList.toggle("active", b.dataset.view === v));
  $("#view-try").hidden = v !== "try";
  $("#view-browse").hidden = v !== "browse";
  if (v === "browse") renderBrowse();
}

function showVersion() {
  const r = state.rulesets.find((x) => x.name === rulesetName());
  if (!r) return;
  const d = onDate();
  const inForce = r.versions.filter((v) => v <= d).pop();
  $("#version").textContent = inForce ? `适用版本 ${inForce}（共 ${r.versions.length} 个版本）` : `该日期早于规则集最早版本 ${r.versions[0]}`;
}

async function loadRuleset() {
  const name = encodeURI(rulesetName());
  const [items, areas] = await Promise.all([api(`/api/rulesets/${name}/items`), api(`/api/rulesets/${name}/areas`)]);
  state.items = items.body;
  state.areas = areas.body;
  state.item = null;
  $("#item-search").value = "";
  $("#item-chosen").textContent = "尚未选择事项";
  $("#fact-fields").innerHTML = '<span class="muted">选择事项后显示</span>';
  $("#measure-fields").innerHTML = '<span class="muted">选择事项后显示</span>';
  fillPlaces();
  showVersion();
  renderBrowse();
}

// ── item picker: type part of a name or a code ───────────────────────────────────────────────────────────
function setupItemPicker() {
  const input = $("#item-search"), list = $("#item-suggestions");
  const show = () => {
    const q = input.value.trim().toLowerCase();
    const found = state.items.filter((it) => !q || it.code.toLowerCase().includes(q) || it.name.toLowerCase().includes(q)).slice(0, 30);
    list.innerHTML = found.map((it) => `<li data-code="${esc(it.code)}"><b>${esc(it.code)}</b> ${esc(it.name)} <span class="muted">${esc(it.domain)}</span></li>`).join("")
      || '<li class="muted">没有匹配的事项</li>';
    list.hidden = false;
  };
  input.addEventListener("input", show);
  input.addEventListener("focus", show);
  input.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 200));
  list.addEventListener("mousedown", (e) => {
    const li = e.target.closest("li[data-code]");
    if (li) { chooseItem(li.dataset.code); list.hidden = true; }
  });
}

async function chooseItem(code) {
  const r = await api(`/api/rulesets/${encodeURI(rulesetName())}/item/${encodeURIComponent(code)}?on=${onDate()}`);
  if (!r.ok) { $("#item-chosen").innerHTML = `<span class="error">${esc(r.body.message)}</span>`; return; }
  state.item = r.body;
  const it = r.body.item;
  $("#item-search").value = `${it.code} ${it.name}`;
  $("#item-chosen").innerHTML = `<b>${esc(it.code)}</b> ${esc(it.name)}<br><span class="muted">${esc(it.domain)} · 依据 ${it.basis.map(cite).join("；")}</span>`;
  buildFacts();
  buildMeasures();
}

// ── the form, from the Case schema ────────────────────────────────────────────────────────────────────────
function input(path, s, name) {
  s = plain(s);
  const id = fid(path);
  const lab = `<label for="${id}" title="${esc(s.description || "")}">${esc(label(name))}</label>`;
  if (s.enum) {
    const opts = s.enum.map((v) => `<option value="${esc(v)}">${esc((name === "harm" ? L.harm : L.value)[v] || v)}</option>`).join("");
    const empty = s.nullable || s.default === undefined ? '<option value="">未认定</option>' : "";
    return `<div class="field">${lab}<select id="${id}" data-path="${esc(path)}" data-type="enum">${empty}${opts}</select></div>`;
  }
  if (s.type === "boolean") {
    return `<div class="field check"><input type="checkbox" id="${id}" data-path="${esc(path)}" data-type="bool">${lab}</div>`;
  }
  if (s.format === "date") {
    return `<div class="field">${lab}<input type="date" id="${id}" data-path="${esc(path)}" data-type="text"></div>`;
  }
  if (s.type === "integer" || s.type === "number") {
    return `<div class="field">${lab}<input type="number" id="${id}" data-path="${esc(path)}" data-type="${s.type}" min="${s.minimum ?? ""}" step="${s.type === "integer" ? 1 : "any"}"></div>`;
  }
  return `<div class="field">${lab}<input type="text" id="${id}" data-path="${esc(path)}" data-type="text"></div>`;
}

function select(path, name, options, empty) {
  const id = fid(path);
  const opts = options.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join("");
  return `<div class="field"><label for="${id}">${esc(label(name))}</label><select id="${id}" data-path="${esc(path)}" data-type="enum">${empty ? `<option value="">${esc(empty)}</option>` : ""}${opts}</select></div>`;
}

const HANDLED = new Set(["case_id", "item", "place", "decided_on", "party", "circumstances", "facts", "measures"]);

function buildStaticFields() {
  const props = state.schema.properties;
  const place = deref(props.place).properties;
  let h = "";
  for (const [k, s] of Object.entries(place)) {
    if (k === "county") h += select("place.county", k, [], null);
    else if (k === "township") h += select("place.township", k, [], "（不填）");
    else if (k === "zone") h += select("place.zone", k, [], "（不填）");
    else h += input(`place.${k}`, s, k);
  }
  $("#place-fields").innerHTML = h;
  document.getElementById(fid("place.county")).addEventListener("change", fillTownships);
  const party = deref(props.party).properties;
  $("#party-fields").innerHTML = Object.entries(party).map(([k, s]) => input(`party.${k}`, s, k)).join("");
  const circ = deref(plain(props.circumstances)).properties || deref(props.circumstances).properties;
  $("#circ-fields").innerHTML = Object.entries(circ).map(([k, s]) => input(`circumstances.${k}`, s, k)).join("");
  let dates = "", other = "";
  for (const [k, s] of Object.entries(props)) {
    if (HANDLED.has(k)) continue;
    if (plain(s).format === "date") dates += input(k, s, k);
    else other += input(k, s, k);
  }
  $("#date-fields").innerHTML = dates;
  $("#other-fields").innerHTML = other;
  $("#other-set").hidden = !other;
}

function fillPlaces() {
  const counties = state.areas.filter((a) => a.kind === "county");
  const sel = document.getElementById(fid("place.county"));
  sel.innerHTML = counties.map((a) => `<option value="${esc(a.name)}">${esc(a.name)}</option>`).join("");
  fillTownships();
}

function fillTownships() {
  const county = document.getElementById(fid("place.county")).value;
  const opts = (kind) => '<option value="">（不填）</option>' + state.areas.filter((a) => a.kind === kind && a.parent === county)
    .map((a) => `<option value="${esc(a.name)}">${esc(a.name)}（${esc(L.mode[a.mode])}）</option>`).join("");
  document.getElementById(fid("place.township")).innerHTML = opts("township");
  if (document.getElementById(fid("place.zone"))) document.getElementById(fid("place.zone")).innerHTML = opts("zone");
}

function buildFacts() {
  const facts = state.item.facts;
  const typeOf = {money: "number", number: "number", integer: "integer", text: "string"};
  const h = facts.map((f) => {
    let s;
    if (f.type === "yes/no") s = {enum: ["yes", "no"], nullable: true};
    else if (f.type === "enum") s = {enum: f.members, nullable: true};
    else s = {type: typeOf[f.type], minimum: f.type === "text" ? undefined : 0};
    L.field[f.name] = f.description ? `${f.name}（${f.description}）` : f.name;
    const html = input(`facts.${f.name}`, s, f.name);
    return f.type === "yes/no" ? html.replace('>yes<', ">是<").replace('>no<', ">否<") : html;
  }).join("");
  const circ = state.item.inputs.filter((p) => p.startsWith("circumstances.")).map((p) => label(p.split(".")[1]));
  $("#fact-fields").innerHTML = (h || '<span class="muted">本事项不需要其他事实</span>')
    + (circ.length ? `<p class="hint">本事项的裁量基准或清单还看：${esc(circ.join("、"))}</p>` : "");
}

function buildMeasures() {
  const kinds = new Set();
  for (const s of Object.values(state.item.item.statutory)) for (const k of s.kinds) if (!k.includes("罚款")) kinds.add(k);
  $("#measure-fields").innerHTML = kinds.size ? [...kinds].map((k) =>
    `<div class="field check"><input type="checkbox" data-measure="${esc(k)}" id="m-${esc(k)}"><label for="m-${esc(k)}">${esc(k)}</label></div>`).join("")
    : '<span class="muted">本事项条文只规定罚款</span>';
}

function setPath(obj, path, value) {
  const parts = path.split(".");
  const [head, ...rest] = parts;
  if (!rest.length) { obj[head] = value; return; }
  obj[head] = obj[head] || {};
  setPath(obj[head], rest.join("."), value);  // fact names never contain "." after the first segment
}

function readCase() {
  const c = {case_id: $("#case_id").value || "审查-1", item: state.item ? state.item.item.code : "", decided_on: onDate(), facts: {}};
  document.querySelectorAll("#case-form [data-path]").forEach((el) => {
    const path = el.dataset.path, t = el.dataset.type;
    let v;
    if (t === "bool") { if (!el.checked) return; v = true; }
    else {
      if (el.value === "") return;
      v = el.value;
      if (t === "integer") v = parseInt(v, 10);
      else if (t === "number") v = Number(v);
      else if (t === "enum" && path.startsWith("facts.") && (v === "yes" || v === "no")) v = v === "yes";
    }
    if (path.startsWith("facts.")) c.facts[path.slice(6)] = v;
    else setPath(c, path, v);
  });
  const m = [...document.querySelectorAll("[data-measure]")].filter((x) => x.checked).map((x) => x.dataset.measure);
  if (m.length) c.measures = m;
  if (!c.occurred_on) c.occurred_on = c.decided_on;
  return c;
}

async function evaluate() {
  document.querySelectorAll(".invalid").forEach((x) => x.classList.remove("invalid"));
  if (!state.item) { $("#result").innerHTML = '<p class="error">请先选择执法事项。</p>'; return; }
  const r = await api(`/api/evaluate?ruleset=${encodeURIComponent(rulesetName())}`,
    {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(readCase())});
  $("#result").innerHTML = r.ok ? renderDecision(r.body) : renderError(r.body);
}

// ── the decision ──────────────────────────────────────────────────────────────────────────────────────────
const SHOWN = new Set(["case_id", "ruleset", "item", "handler", "transfers", "outcome", "penalty", "procedure", "flags",
                       "explanation", "questions", "assumptions"]);

function renderDecision(d) {
  const h = d.handler;
  let out = `<div class="decision" id="decision"><h2 class="outcome outcome-${esc(d.outcome)}">${esc(L.outcome[d.outcome] || d.outcome)}</h2>`;
  out += `<p class="muted">案件 ${esc(d.case_id)} · 规则集 ${esc(d.ruleset)} · ${esc(d.item.code)} ${esc(d.item.name)}</p>`;
  out += `<h3>办案主体</h3><p id="handler"><b>${esc(h.agency)}</b>${h.in_name_of ? `（以${esc(h.in_name_of)}名义）` : ""}<br>
    <span class="muted">${esc(L.level[h.level] || h.level)} · ${esc(L.kind[h.kind] || h.kind)} · ${esc(L.route[h.route] || h.route)}</span></p>`;
  if (d.penalty) {
    const p = d.penalty;
    const fine = p.fine ? `罚款 <b>${esc(p.fine.min)}</b> 至 <b>${esc(p.fine.max)}</b> 元` : "不罚款";
    out += `<h3>处罚幅度</h3><p id="penalty">${fine}；处罚种类：${esc(p.kinds.join("、") || "无")}<br>
      <span class="muted">裁量阶次：${esc(p.grade || "未分阶次")} · 调整：${esc(L.adjustment[p.adjustment] || p.adjustment)}</span></p>`;
  }
  out += `<p>程序：${esc(L.procedure[d.procedure] || d.procedure)}</p>`;
  if (d.transfers && d.transfers.length) {
    out += `<h3>移送</h3><ul>${d.transfers.map((t) => `<li>${esc(t.to)}：${esc(t.reason)}（${cite(t.basis)}）</li>`).join("")}</ul>`;
  }
  out += `<h3>须办事项</h3>` + (d.flags.length ? `<ul id="flags">${d.flags.map((f) => `<li><span class="flag">${esc(f.label)}</span> ${esc(f.reason)}
      ${f.condition ? `<br><span class="cond">条件：${esc(f.condition)}</span>` : ""} <span class="basis">${cite(f.basis)}</span></li>`).join("")}</ul>`
    : '<p class="muted">无</p>');
  if (Array.isArray(d.questions) && d.questions.length) {
    out += `<h3>待查明的事实</h3><ul id="questions">${d.questions.map((q) => `<li><b>${esc(label(q.field) || q.field)}</b> <code>${esc(q.field)}</code>：${esc(q.why)}
      <span class="basis">${cite(q.provision)}</span>${(q.answers || []).length ? `<ul>${q.answers.map((a) => `<li>若 ${esc(a.if)}：${esc(a.then)}</li>`).join("")}</ul>` : ""}</li>`).join("")}</ul>`;
  }
  if (Array.isArray(d.assumptions) && d.assumptions.length) {
    out += `<h3>所依据的假定</h3><ul id="assumptions">${d.assumptions.map((a) => `<li>${esc(a.what)}
      <span class="badge ${esc(a.status)}">${esc(L.status[a.status] || a.status)}</span> <span class="muted">${esc(a.rule || "")} ${esc(a.source || "")}</span></li>`).join("")}</ul>`;
  }
  out += `<h3>理由</h3><ol id="explanation">${d.explanation.map((s) => `<li>${esc(s.text)} <span class="muted">〔${esc(s.rule)}〕</span> <span class="basis">${cite(s.basis)}</span></li>`).join("")}</ol>`;
  const rest = Object.entries(d).filter(([k]) => !SHOWN.has(k));
  if (rest.length) out += `<details><summary>其他字段</summary><pre>${esc(JSON.stringify(Object.fromEntries(rest), null, 2))}</pre></details>`;
  return out + `<details><summary>完整 JSON</summary><pre>${esc(JSON.stringify(d, null, 2))}</pre></details></div>`;
}

function renderError(e) {
  const probs = e.problems || [];
  for (const p of probs) {
    const el = document.querySelector(`[data-path="${CSS.escape(p.path)}"]`);
    if (el) el.classList.add("invalid");
  }
  const diags = e.diagnostics || [];
  return `<div class="error-box" id="error"><h2>无法评估</h2><p>${esc(e.message)}</p>
    ${probs.length ? `<ul>${probs.map((p) => `<li><code>${esc(p.path || "（案件）")}</code>：${esc(p.message)}</li>`).join("")}</ul>` : ""}
    ${diags.length ? `<ul>${diags.map((d) => `<li><code>${esc(d.file)}:${d.line}:${d.column}</code> ${esc(d.message)}</li>`).join("")}</ul>` : ""}</div>`;
}

// ── the ruleset browser ──────────────────────────────────────────────────────────────────────────────────
async function renderBrowse() {
  if ($("#view-browse").hidden) return;
  const sub = document.querySelector(".subtab.active").dataset.sub;
  const base = `/api/rulesets/${encodeURI(rulesetName())}`;
  const body = $("#browse-body");
  if (sub === "items") {
    body.innerHTML = `<div class="browse-items"><div><input id="browse-filter" placeholder="按名称、编码或领域筛选">
      <table id="items-table"><thead><tr><th>编码</th><th>名称</th><th>领域</th></tr></thead><tbody></tbody></table></div>
      <div id="item-detail" class="detail"><p class="muted">点击左侧事项查看法定幅度、裁量基准与清单。</p></div></div>`;
    const fill = () => {
      const q = $("#browse-filter").value.trim().toLowerCase();
      $("#items-table tbody").innerHTML = state.items.filter((i) => !q || (i.code + i.name + i.domain).toLowerCase().includes(q))
        .map((i) => `<tr data-code="${esc(i.code)}"><td>${esc(i.code)}</td><td>${esc(i.name)}</td><td>${esc(i.domain)}</td></tr>`).join("");
    };
    fill();
    $("#browse-filter").addEventListener("input", fill);
    $("#items-table").addEventListener("click", (e) => { const tr = e.target.closest("tr[data-code]"); if (tr) itemDetail(tr.dataset.code); });
  } else if (sub === "townships") {
    const r = await api(`${base}/townships?on=${onDate()}`);
    body.innerHTML = `<table id="townships-table"><thead><tr><th>乡镇（街道）/功能区</th><th>所属区县</th><th>模式</th><th>类别</th><th>清单</th><th>以自身名义实施的事项数</th></tr></thead><tbody>
      ${r.body.map((t) => `<tr><td>${esc(t.area)}</td><td>${esc(t.parent)}</td><td>${esc(L.mode[t.mode])}</td><td>${esc(t.township_class || "")}</td>
      <td>${t.lists.map(([n, title]) => esc(title)).join("<br>")}</td><td>${t.items}</td></tr>`).join("")}</tbody></table>`;
  } else if (sub === "lists") {
    const r = await api(`${base}/lists?on=${onDate()}`);
    body.innerHTML = r.body.map((l) => `<section class="plist"><h3>${esc(l.title)} <span class="badge">${esc(L.listKind[l.kind])}</span>
      ${l.unconfirmed ? '<span class="badge unconfirmed">未经证实</span>' : ""}</h3><p class="muted">${l.sources.map(esc).join("；")}</p>
      <table><thead><tr><th>事项</th><th>条件</th><th>说明</th></tr></thead><tbody>${l.entries.map((e) =>
        `<tr><td>${esc(e.item)}</td><td><code>${esc(e.when || "（无条件）")}</code></td><td>${esc(e.note || "")}</td></tr>`).join("")}</tbody></table></section>`).join("")
      || '<p class="muted">本规则集没有不予、减轻处罚清单。</p>';
  } else {
    const r = await api(`${base}/parameters?on=${onDate()}`);
    body.innerHTML = `<table id="params-table"><thead><tr><th>参数</th><th>取值</th><th>说明</th><th>来源</th><th>状态</th></tr></thead><tbody>
      ${r.body.map((p) => `<tr><td>${esc(p.name)}</td><td><b>${esc(p.value)}</b></td><td>${esc(p.description || "")}${p.notes.length ? `<br><span class="muted">${esc(p.notes.join("；"))}</span>` : ""}</td>
      <td>${esc(p.sources.join("；"))}</td><td>${p.unconfirmed ? '<span class="badge unconfirmed">未经证实</span>' : '<span class="badge confirmed">有出处</span>'}</td></tr>`).join("")}</tbody></table>`;
  }
}

async function itemDetail(code) {
  const r = await api(`/api/rulesets/${encodeURI(rulesetName())}/item/${encodeURIComponent(code)}?on=${onDate()}`);
  if (!r.ok) { $("#item-detail").innerHTML = renderError(r.body); return; }
  const {item, benchmark, list_entries, townships, inputs} = r.body;
  const party = {individual: "个人", organisation: "单位"};
  let h = `<h3>${esc(item.code)} ${esc(item.name)}</h3><p class="muted">${esc(item.domain)} · ${esc(L.kind[item.category] || item.category)}</p>
    <p>依据：${item.basis.map(cite).join("；")}</p><h4>法定处罚</h4><ul>`;
  for (const [p, s] of Object.entries(item.statutory)) {
    const f = s.fine ? (s.fine.basis === "yuan" ? `罚款 ${s.fine.min}–${s.fine.max} 元` : `罚款 ${s.fine.of} 的 ${s.fine.min}–${s.fine.max}${s.fine.basis === "percent" ? "%" : " 倍"}`) : "";
    h += `<li>${party[p]}：${esc([f, ...s.kinds.filter((k) => !k.includes("罚款"))].filter(Boolean).join("、") || "无")}</li>`;
  }
  h += "</ul>";
  if (benchmark) {
    h += `<h4>裁量基准 ${benchmark.unconfirmed ? '<span class="badge unconfirmed">未经证实</span>' : ""}</h4>
      <table class="grades"><thead><tr><th>阶次</th><th>条件</th><th>幅度</th></tr></thead><tbody>${benchmark.grades.map((g) =>
        `<tr><td>${esc(g.name)}</td><td><code>${esc(g.when || "其他情形")}</code></td><td>${Object.entries(g.ranges).map(([p, v]) => `${esc(p)} ${esc(v)}`).join("<br>")}</td></tr>`).join("")}</tbody></table>
      ${benchmark.adjustments.map((a) => `<p>${esc(a)}</p>`).join("")}<p class="muted">${benchmark.sources.map(esc).join("；")}</p>`;
  } else h += '<p class="muted">无裁量基准（在法定幅度内裁量）。</p>';
  if (list_entries.length) h += `<h4>清单</h4><ul>${list_entries.map((e) => `<li>${esc(e.title)}（${esc(L.listKind[e.kind])}）：<code>${esc(e.when || "无条件")}</code></li>`).join("")}</ul>`;
  h += `<h4>以自身名义实施的乡镇（街道）</h4><p>${esc(townships.join("、") || "无")}</p>`;
  h += `<h4>评估时读取的案件字段</h4><p><code>${esc(inputs.join("，") || "无")}</code></p>`;
  $("#item-detail").innerHTML = h;
}

init();
