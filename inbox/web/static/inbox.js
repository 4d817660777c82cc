// The web inbox: plain JavaScript over the inbox's JSON API (docs/inbox.md). The token
// lives in sessionStorage and goes out as a bearer token; live events come from
// /api/events, read with fetch so they carry the token too, and resumed after the last
// event id on every reconnect.
"use strict";

const T = JSON.parse(document.body.dataset.texts);
const LANG = document.body.dataset.lang;
const $ = (id) => document.getElementById(id);
const state = {
  token: sessionStorage.getItem("wasla-token") || "",
  me: null,
  view: "waiting",
  queue: "",
  q: "",
  current: null, // contact id of the open thread
  detail: null,
  numbers: {}, // business number id -> the number as people know it
  after: "",
  stream: null,
};

// ---- API ---------------------------------------------------------------------------

class APIError extends Error {
  constructor(status, body) {
    super(body.error || ("HTTP " + status));
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + state.token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch("/api" + path, opts);
  if (res.status === 401) {
    signOut(true);
    throw new APIError(401, {});
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : {};
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

// ---- formatting --------------------------------------------------------------------

// Arabic pages write Arabic-Indic digits everywhere (times, durations, counts), as the
// numbers page does; "-u-nu-arab" asks for them whatever the browser's default for "ar".
const timeFmt = new Intl.DateTimeFormat(LANG === "ar" ? "ar-u-nu-arab" : "en-GB", {
  hour: "2-digit", minute: "2-digit", day: "numeric", month: "short",
});
const numFmt = new Intl.NumberFormat(LANG === "ar" ? "ar-u-nu-arab" : "en");
const num = (n) => numFmt.format(n);
function fmtTime(s) {
  const d = new Date(s);
  return isNaN(d) ? "" : timeFmt.format(d);
}
function fmtLeft(s) {
  const ms = new Date(s) - Date.now();
  const m = Math.round(Math.abs(ms) / 60000);
  const txt = m >= 60 ? num(Math.floor(m / 60)) + T.h + " " + num(m % 60) + T.m : num(m) + T.m;
  return ms < 0 ? "−" + txt : txt;
}
function queueTitle(name) {
  const q = state.me && state.me.queue_details.find((q) => q.name === name);
  return q ? q.title : name;
}
function billingText(r) {
  return T["bill_" + r.billing_kind] || r.billing;
}
// ltr isolates a phone number, so its digit groups keep their order in Arabic text.
function ltr(text) {
  const b = document.createElement("bdi");
  b.dir = "ltr";
  b.textContent = text;
  return b;
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- sign-in -----------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("GET", "/me");
  } catch (e) {
    state.token = "";
    return false;
  }
  sessionStorage.setItem("wasla-token", token);
  $("signin-view").hidden = true;
  $("app").hidden = false;
  $("me").textContent = state.me.name;
  const qf = $("queue-filter");
  for (const q of state.me.queue_details) {
    qf.append(new Option(q.title, q.name));
  }
  await loadList();
  follow();
  return true;
}

function signOut(expired) {
  sessionStorage.removeItem("wasla-token");
  state.token = "";
  if (state.stream) state.stream.abort();
  $("app").hidden = true;
  $("signin-view").hidden = false;
  $("signin-error").hidden = !expired;
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const ok = await signIn($("token").value.trim());
  $("signin-error").hidden = ok;
});
$("signout").addEventListener("click", () => signOut(false));

// ---- the list ----------------------------------------------------------------------

// The list is marked busy while a load runs, so that a click lands on the rows of the view
// just chosen, not on rows about to be replaced (and screen readers know it is changing).
let listLoads = 0;
async function loadList() {
  const p = new URLSearchParams({ view: state.view });
  if (state.queue) p.set("queue", state.queue);
  if (state.q) p.set("q", state.q);
  const ul = $("conversations");
  listLoads++;
  ul.setAttribute("aria-busy", "true");
  let data;
  try {
    data = await api("GET", "/conversations?" + p);
  } finally {
    if (--listLoads === 0) ul.removeAttribute("aria-busy");
  }
  if (!state.after) state.after = data.after;
  for (const b of document.querySelectorAll("[data-count]")) {
    const v = b.dataset.count;
    b.textContent = num(data.counts[v] || 0);
    b.classList.toggle("unread", (data.unread[v] || 0) > 0);
  }
  ul.replaceChildren();
  for (const c of data.conversations) ul.append(row(c));
  $("empty-list").hidden = data.conversations.length > 0;
}

function row(c) {
  const li = el("li", "conv");
  li.dataset.contact = c.contact;
  li.tabIndex = 0;
  if (c.contact === state.current) li.classList.add("on");
  const top = el("div", "line");
  top.append(el("strong", "name", c.name || c.contact));
  if (c.unread > 0) top.append(el("span", "badge", num(c.unread)));
  li.append(top);
  const prev = el("div", "preview", previewText(c.preview || ""));
  prev.dir = "auto";
  li.append(prev);
  const meta = el("div", "meta");
  meta.append(el("span", "queue", queueTitle(c.queue)));
  if (c.assignee) meta.append(el("span", "", T.assigned_to + " " + c.assignee));
  if (c.deadline) {
    const d = el("span", "deadline" + (c.overdue ? " overdue" : ""),
      (c.overdue ? T.overdue : T.due) + " " + fmtLeft(c.deadline.at) + " · " + T[c.deadline.kind]);
    d.title = fmtTime(c.deadline.at);
    meta.append(d);
  }
  li.append(meta);
  li.addEventListener("click", () => openThread(c.contact));
  li.addEventListener("keydown", (e) => { if (e.key === "Enter") openThread(c.contact); });
  return li;
}

for (const b of document.querySelectorAll("[data-view]")) {
  b.addEventListener("click", () => {
    state.view = b.dataset.view;
    for (const o of document.querySelectorAll("[data-view]")) o.classList.toggle("on", o === b);
    loadList();
  });
}
$("queue-filter").addEventListener("change", (e) => { state.queue = e.target.value; loadList(); });
let searchTimer = 0;
$("search").addEventListener("input", (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { state.q = e.target.value; loadList(); }, 200);
});

// ---- the thread --------------------------------------------------------------------

async function openThread(contact) {
  state.current = contact;
  document.body.classList.add("reading");
  for (const li of document.querySelectorAll(".conv")) li.classList.toggle("on", li.dataset.contact === contact);
  $("pick").hidden = true;
  $("thread").hidden = false;
  $("thread-error").hidden = true;
  await Promise.all([loadDetail(), loadHistory()]);
  // Opening clears the inbox's unread count; WhatsApp's read receipt waits for a claim.
  if (state.detail && state.detail.conversation.unread > 0) {
    api("POST", "/conversations/" + contact + "/seen").then(loadList).catch(() => {});
  }
}

$("back").addEventListener("click", () => {
  document.body.classList.remove("reading");
  state.current = null;
});

async function loadDetail() {
  const contact = state.current;
  const d = await api("GET", "/conversations/" + contact);
  if (contact !== state.current) return; // another thread was opened meanwhile
  state.detail = d;
  const c = d.conversation;
  $("t-name").textContent = c.name || c.contact;
  $("t-number").textContent = "+" + c.contact;
  $("t-state").textContent = T[stateView(c)] + (c.assignee ? " · " + c.assignee : "") + " · " + queueTitle(c.queue);
  const dl = $("t-deadline");
  dl.hidden = !d.deadline;
  if (d.deadline) {
    const over = new Date(d.deadline.at) < Date.now();
    dl.textContent = (over ? T.overdue : T.due) + " " + fmtLeft(d.deadline.at) + " · " + T[d.deadline.kind];
    dl.className = "chip deadline" + (over ? " overdue" : "");
  }
  const mine = c.state === "assigned" && (c.assignee === state.me.id || state.me.role === "admin");
  $("claim").hidden = c.state !== "waiting";
  $("release").disabled = $("close").disabled = !(mine || (state.me.role === "admin" && c.state !== "closed"));
  $("transfer").disabled = c.state === "closed";
  fillTransfer(c);
  $("labels").value = (c.labels || []).join(", ");
  composer(d.reply, mine);
}

function stateView(c) {
  if (c.state === "waiting") return "waiting";
  if (c.state === "closed") return "closed";
  return c.assignee === state.me.id ? "mine" : "others";
}

function fillTransfer(c) {
  const sel = $("transfer");
  sel.replaceChildren(new Option(T.transfer, ""));
  for (const q of state.me.queue_details) {
    if (q.name !== c.queue) sel.append(new Option(T.queue + ": " + q.title, "queue:" + q.name));
  }
  for (const a of state.me.agents) {
    if (a.id !== c.assignee && a.queues.includes(c.queue)) sel.append(new Option(T.agent + ": " + a.name, "agent:" + a.id));
  }
}

function composer(r, mine) {
  const w = $("window");
  if (r.templates_only) {
    w.textContent = T.window_closed + " (" + billingText(r) + ")";
    w.className = "window closed";
  } else {
    const until = r.window_open ? T.window_open + " " + fmtTime(r.window_closes) + " · " : "";
    w.replaceChildren(until + T.from + " ", ltr(r.from_name || r.from), " · " + billingText(r));
    w.className = "window open";
  }
  $("reply-form").hidden = r.templates_only;
  $("template-form").hidden = !r.templates_only || r.templates.length === 0;
  const sel = $("template");
  sel.replaceChildren();
  for (const t of r.templates) {
    sel.append(new Option((t.preview || t.name) + " (" + t.language + ") — " + billingText(t), t.name));
  }
  for (const id of ["reply-text", "send", "template", "send-template"]) $(id).disabled = !mine;
}

async function loadHistory() {
  const contact = state.current;
  const h = await api("GET", "/conversations/" + contact + "/history");
  if (contact !== state.current) return;
  Object.assign(state.numbers, h.numbers || {});
  const items = h.events.map((e) => ({ at: e.at, ev: e }))
    .concat((h.notes || []).map((n) => ({ at: n.at, note: n })));
  items.sort((a, b) => new Date(a.at) - new Date(b.at));
  const ol = $("messages");
  ol.replaceChildren();
  for (const it of items) {
    const li = it.note ? noteItem(it.note) : eventItem(it.ev);
    if (li) ol.append(li);
  }
  ol.scrollTop = ol.scrollHeight;
}

function noteItem(n) {
  const li = el("li", "msg note");
  li.append(el("small", "who", T.note + " · " + n.agent));
  const p = el("p", "", n.text);
  p.dir = "auto";
  li.append(p, el("time", "", fmtTime(n.at)));
  return li;
}

function numName(id) {
  return id ? state.numbers[id] || id : "";
}

// bubble is one message: its text takes the direction of its own first strong character
// (dir="auto"), while the sender line and the time follow the interface.
function bubble(cls, who, number, text, at) {
  const li = el("li", "msg " + cls);
  const w = el("small", "who", who + " ");
  if (number) w.append(ltr(numName(number)));
  li.append(w);
  const p = el("p", "", text);
  p.dir = "auto";
  li.append(p, el("time", "", fmtTime(at)));
  return li;
}

// previewText shows the server's "[template NAME]" preview of a template in the
// interface's language, as the thread does.
function previewText(p) {
  const m = /^\[template (.+)\]$/.exec(p);
  return m ? "[" + T.template + " " + m[1] + "]" : p;
}

function outboundText(o) {
  if (o.kind === "template" && o.template) return "[" + T.template + " " + o.template.name + "]";
  if (o.media) return (o.media.caption || "") + " [" + o.kind + "]";
  return o.text || "[" + o.kind + "]";
}

function eventItem(e) {
  switch (e.kind) {
    case "inbound": {
      const m = e.inbound || {};
      const text = m.text || (m.media && m.media.caption) || "[" + m.kind + "]";
      return bubble("in", (m.profile_name || T.customer) + " ·", e.number, text, e.at);
    }
    case "outbound":
    case "agent": {
      const o = e.outbound || {};
      const li = bubble(e.kind === "agent" ? "out agent" : "out bot",
        (e.kind === "agent" ? e.detail : T.bot) + " ·", e.number, outboundText(o), e.at);
      const choices = (o.buttons || []).map((b) => b.title)
        .concat((o.sections || []).flatMap((s) => s.rows.map((r) => r.title)));
      if (choices.length) {
        const div = el("div", "buttons");
        for (const c of choices) {
          const b = el("span", "button", c);
          b.dir = "auto";
          div.append(b);
        }
        li.insertBefore(div, li.querySelector("time"));
      }
      if (e.id) li.dataset.entry = e.id;
      if (e.delivery) setTicks(li, e.delivery);
      return li;
    }
    case "handoff":
      return el("li", "event", T.handoff + " " + queueTitle(e.queue || e.detail) +
        ((e.detail || "").endsWith("(closed)") ? " (" + T.out_of_hours + ")" : "") + " · " + fmtTime(e.at));
    case "return":
      return el("li", "event", T.returned + " (" + returnText(e) + ") · " + fmtTime(e.at));
    case "refused":
      return el("li", "event warn", T.refused + ": " + (e.outbound ? outboundText(e.outbound) + " — " : "") + refusalText(e));
    case "number":
      if (!e.from || !e.to) return null;
      return el("li", "event", T.number_change + " " + numName(e.to) + " " + T.number_before + " " + numName(e.from) + " · " + fmtTime(e.at));
    case "call": {
      const c = (e.inbound && e.inbound.call) || {};
      const how = c.event === "connect" ? T.call_ringing
        : c.status === "FAILED" ? T.call_missed
        : c.duration ? num(c.duration) + " " + T.call_seconds : "";
      const who = c.direction === "BUSINESS_INITIATED" ? T.call_out : T.call_in;
      return el("li", "event", "📞 " + who + (how ? " · " + how : "") + " · " + fmtTime(e.at));
    }
    case "opt_out":
    case "opt_in":
      return el("li", "event warn", (e.kind === "opt_out" ? T.opted_out : T.opted_in) + " · " + fmtTime(e.at));
    case "error":
      return el("li", "event warn", T.step_error + ": " + (e.detail || ""));
  }
  return null; // statuses are not shown
}

// The engine's refusal reasons (package routing's Reason* and the opt-out), by the key of
// their words in the interface's language; a test keeps the list whole.
const REFUSALS = {
  "contact opted out": "refused_opted_out",
  "waiting for the contact on the inbox number": "refused_waiting_inbox",
  "waiting for the contact to answer the inbox number's template": "refused_waiting_bridge",
  "24-hour window closed; a template was sent, waiting for the contact to write": "refused_window_waiting",
  "24-hour window closed and no fallback template configured": "refused_window_closed",
  "campaign number restricted or banned, inbox window closed, and no bridge or fallback template configured": "refused_no_bridge",
  "no usable number: the inbox and the contact's campaign number are restricted or banned": "refused_no_number",
  "24-hour window closed and the numbers that could send a template may only reply (Meta restricts them from starting conversations)": "refused_no_initiation",
};

// refusalText says why a reply was not sent, in the interface's language: a reply the
// router replaced (its typed To: the number the replacement left from) or a known
// reason; any other detail is shown as the engine wrote it.
function refusalText(e) {
  if (e.to) {
    const template = /^replaced by a template message/.test(e.detail || "");
    return (template ? T.replaced_template : T.replaced_invite) + " " + numName(e.to);
  }
  const key = REFUSALS[e.detail];
  return key ? T[key] : e.detail || "";
}

// returnText says why a conversation came back to the bot; the engine writes
// "<why>: <queue>" with the queue also in the typed Queue.
function returnText(e) {
  const d = e.detail || "";
  const why = e.queue && d.endsWith(": " + e.queue) ? d.slice(0, -(e.queue.length + 2)) : d;
  const key = "return_" + why.replace(/[- ]/g, "_");
  return (T[key] || why) + (e.queue ? " · " + queueTitle(e.queue) : "");
}

// ---- delivery ticks ----------------------------------------------------------------

// A reply's delivery state as WhatsApp shows it: a clock while queued, ✓ sent, ✓✓
// delivered, blue ✓✓ read, and a red mark with the reason when it failed. The marks sit at
// the end of the time line, so they follow the interface's direction; the marks
// themselves are not mirrored, as in WhatsApp.
const RANK = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };
const SVGNS = "http://www.w3.org/2000/svg";
const ICONS = {
  queued: { box: "0 0 12 12", draw: [["circle", { cx: 6, cy: 6, r: 5 }], ["path", { d: "M6 3v3.2l2.2 1.4" }]] },
  sent: { box: "0 0 16 11", draw: [["path", { d: "M1.5 6l3.5 3.5 9-8.5" }]] },
  delivered: { box: "0 0 20 11", draw: [["path", { d: "M1.5 6l3.5 3.5 9-8.5" }], ["path", { d: "M9 9.5l9-8.5" }]] },
  failed: { box: "0 0 12 12", draw: [["circle", { cx: 6, cy: 6, r: 5.5, class: "dot" }], ["path", { d: "M6 2.8v4" }], ["path", { d: "M6 8.7v.6" }]] },
};
ICONS.read = ICONS.delivered;

function icon(name) {
  const def = ICONS[name];
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("viewBox", def.box);
  svg.setAttribute("aria-hidden", "true");
  for (const [tag, attrs] of def.draw) {
    const n = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    svg.append(n);
  }
  return svg;
}

// failureText says why a reply failed in the interface's language: Meta's own title in
// English, else the translation of its code, else of its class; a failure of no known
// class keeps its own title (wasla's reason), which says more than "error".
function failureText(d) {
  if (LANG === "en" && d.error_title) return d.error_title;
  const cls = d.error_class && d.error_class !== "other" ? T["cls_" + d.error_class] : "";
  return T["err_" + d.error_code] || cls || d.error_title || T.cls_other;
}

function ticks(d) {
  const s = el("span", "ticks " + d.state);
  s.dataset.state = d.state;
  s.setAttribute("role", "img");
  if (!ICONS[d.state]) return s;
  s.append(icon(d.state));
  let label = T["st_" + d.state];
  if (d.state === "failed") {
    const why = el("span", "why", failureText(d));
    why.dir = "auto";
    s.append(why);
    label += ": " + failureText(d);
    const cls = d.error_class || "other";
    s.title = (d.error_code ? T.error_code + " " + d.error_code + " · " : "") + cls + " — " + T["cls_" + cls];
  } else {
    s.title = label;
  }
  s.setAttribute("aria-label", label);
  return s;
}

// setTicks shows d on the message li, next to its time.
function setTicks(li, d) {
  let foot = li.querySelector(".foot");
  if (!foot) {
    foot = el("div", "foot");
    const t = li.querySelector("time");
    li.insertBefore(foot, t);
    foot.append(t);
  }
  const old = foot.querySelector(".ticks");
  if (old) old.remove();
  foot.append(ticks(d));
}

// onDelivery moves the ticks of the reply a delivery event names, never back. A reply
// that arrived live carries no entry id yet: the thread is read again to learn it.
function onDelivery(ev) {
  const li = [...$("messages").children].find((m) => m.dataset.entry === ev.entry);
  if (!li) {
    loadHistory().catch(() => {});
    return;
  }
  const cur = li.querySelector(".ticks");
  if (cur && RANK[cur.dataset.state] >= RANK[ev.delivery.state]) return;
  setTicks(li, ev.delivery);
}

async function act(path, body) {
  $("thread-error").hidden = true;
  try {
    await api("POST", "/conversations/" + state.current + path, body);
    await Promise.all([loadDetail(), loadList()]);
    return true;
  } catch (e) {
    const msg = e.body && e.body.claimed_by ? T.claimed_by + " " + e.body.claimed_by : e.message;
    $("thread-error").textContent = msg;
    $("thread-error").hidden = false;
    return false;
  }
}

$("claim").addEventListener("click", () => act("/claim"));
$("release").addEventListener("click", () => act("/release"));
$("close").addEventListener("click", () => act("/close"));
$("transfer").addEventListener("change", async (e) => {
  const [kind, name] = e.target.value.split(":");
  if (!name) return;
  await act("/transfer", kind === "queue" ? { queue: name } : { agent: name });
});
$("labels-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const labels = $("labels").value.split(/[,،]/).map((s) => s.trim()).filter(Boolean);
  try {
    await api("PUT", "/conversations/" + state.current + "/labels", { labels });
    loadList();
  } catch (err) { showError(err); }
});

function showError(err) {
  $("thread-error").textContent = err.message;
  $("thread-error").hidden = false;
}

$("reply-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("reply-text").value.trim();
  if (!text) return;
  if (await act("/reply", { text })) $("reply-text").value = "";
  $("canned").hidden = true;
});
$("template-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  await act("/reply", { template: $("template").value });
});
$("note-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("note-text").value.trim();
  if (!text) return;
  try {
    await api("POST", "/conversations/" + state.current + "/notes", { text });
    $("note-text").value = "";
  } catch (err) { showError(err); }
});

// Typing: the typing indicator goes to WhatsApp at most every 20 seconds while the agent
// types; "/" at the start opens the queue's canned replies.
let lastTyping = 0;
$("reply-text").addEventListener("input", (e) => {
  const v = e.target.value;
  if (Date.now() - lastTyping > 20000 && v.length > 0) {
    lastTyping = Date.now();
    api("POST", "/conversations/" + state.current + "/typing").catch(() => {});
  }
  const box = $("canned");
  if (!v.startsWith("/") || !state.detail) {
    box.hidden = true;
    return;
  }
  const want = v.slice(1).toLowerCase();
  box.replaceChildren();
  for (const c of state.detail.reply.canned.filter((c) => c.shortcut.toLowerCase().startsWith(want))) {
    const b = el("button", "canned-item");
    b.type = "button";
    b.append(el("b", "", "/" + c.shortcut + " "), el("span", "", c.text));
    b.dir = "auto";
    b.addEventListener("click", () => {
      $("reply-text").value = c.text;
      box.hidden = true;
      $("reply-text").focus();
    });
    box.append(b);
  }
  box.hidden = box.childElementCount === 0;
});

// ---- live events -------------------------------------------------------------------

// follow reads /api/events as a stream and reconnects after the last event it saw, so
// nothing is missed across a dropped connection or a restarted replica.
async function follow() {
  for (let delay = 1000; state.token; delay = Math.min(delay * 2, 15000)) {
    const ctl = new AbortController();
    state.stream = ctl;
    try {
      const headers = { Authorization: "Bearer " + state.token, Accept: "text/event-stream" };
      if (state.after) headers["Last-Event-ID"] = state.after;
      const res = await fetch("/api/events", { headers, signal: ctl.signal });
      if (res.status === 401) return signOut(true);
      if (!res.ok) throw new Error("HTTP " + res.status);
      live(true);
      delay = 1000;
      await readEvents(res.body.getReader());
    } catch (e) {
      if (ctl.signal.aborted && !state.token) return;
    }
    live(false);
    await new Promise((r) => setTimeout(r, delay));
  }
}

function live(on) {
  $("live").className = "live " + (on ? "on" : "off");
  $("live").title = on ? T.live : T.offline;
}

async function readEvents(reader) {
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let id = "", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (id) state.after = id;
      if (data) onEvent(JSON.parse(data));
    }
  }
}

let listTimer = 0;
function onEvent(ev) {
  if (ev.type !== "delivery") { // ticks change no list row
    clearTimeout(listTimer);
    listTimer = setTimeout(() => loadList().catch(() => {}), 100);
  }
  if (ev.contact !== state.current) return;
  if (ev.type === "delivery") onDelivery(ev);
  if (ev.type === "message" || ev.type === "note") {
    // A reply committed just now waits in the outbox: it is queued until its states come.
    const m = ev.message;
    if (m && (m.kind === "outbound" || m.kind === "agent") && !m.delivery) m.delivery = { state: "queued" };
    const li = ev.note ? noteItem(ev.note) : eventItem(ev.message);
    if (li) {
      $("messages").append(li);
      $("messages").scrollTop = $("messages").scrollHeight;
    }
  }
  if (ev.type === "conversation") loadDetail().catch(() => {});
}

// ---- start -------------------------------------------------------------------------

setInterval(() => { if (state.me) loadList().catch(() => {}); }, 60000); // deadlines move
if (state.token) {
  signIn(state.token).then((ok) => { if (!ok) signOut(false); });
} else {
  $("signin-view").hidden = false;
}
