// The admin numbers page: sign in with the admin token (kept for the tab only), read
// GET /api/numbers, draw one row per number, refresh every 30 seconds.
"use strict";
(() => {
  const T = JSON.parse(document.body.dataset.texts);
  const lang = document.body.dataset.lang;
  const locale = lang === "ar" ? "ar-u-nu-arab" : "en";
  const fmt = new Intl.NumberFormat(locale);
  const key = "wasla-admin-token";
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  // ltr wraps a left-to-right value (a phone number, an id) in its own isolate.
  const ltr = (text) => { const b = el("bdi", "ltr", text); b.dir = "ltr"; return b; };
  const n = (v) => fmt.format(v || 0);
  let timer = null;

  // cell adds a cell labelled for the phone layout; its content is one box, so the
  // label and the value stay side by side however many parts the value has.
  function cell(row, label, ...children) {
    const td = el("td");
    td.dataset.label = label;
    const v = el("div", "v");
    for (const c of children) if (c) v.append(c);
    td.append(v);
    row.append(td);
    return v;
  }

  // explain says in the page's language why a number is in its state: from the policy's
  // reason code and values when the server gives them, else from the state; the server's
  // reason (English, written for logs) is kept for Meta's own words and the tooltip.
  function explain(x) {
    const coded = x.reason_code && T["reason_" + x.reason_code];
    if (coded) {
      const args = x.reason_args || {};
      return coded.replace(/\{(\w+)\}/g, (m, k) => {
        const v = args[k];
        if (typeof v === "number") return n(v) + (k === "allowance" ? (lang === "ar" ? "٪" : "%") : "");
        return v === undefined ? m : String(v);
      });
    }
    const fill = (t) => t.replace("{score}", n(Math.round(x.score)))
      .replace("{allowance}", n(Math.round(x.allowance * 100)) + (lang === "ar" ? "٪" : "%"));
    switch (x.state) {
      case "slowed": return fill(T.why_slowed);
      case "stopped": return fill(x.quality === "RED" ? T.why_stopped_red : T.why_stopped);
      case "retired": return T.why_retired + (x.reason ? " — " + x.reason : "");
    }
    return lang === "en" ? x.reason : "";
  }

  function draw(numbers) {
    const tbody = $("rows");
    tbody.replaceChildren();
    $("empty").hidden = numbers.length > 0;
    let total = 0, healthy = 0;
    for (const x of numbers) {
      if (x.role === "campaign") {
        total++;
        if (x.state === "active" && x.can_send && x.quality !== "RED") healthy++;
      }
      const tr = el("tr");
      tr.dataset.number = x.id;
      tr.dataset.state = x.state;
      const name = el("div", "name");
      name.append(ltr(x.display));
      cell(tr, T.number, name, el("div", "muted small", x.id));
      cell(tr, T.role, el("span", "", T["role_" + x.role] || x.role));
      const st = cell(tr, T.state, el("span", "badge state-" + x.state, T["state_" + x.state] || x.state));
      if (x.status && x.status !== "active") st.append(" ", el("span", "badge status-" + x.status, T["status_" + x.status] || x.status));
      if (!x.can_send) st.append(" ", el("span", "badge status-banned", T.cannot_send));
      const why = explain(x);
      if (why) {
        const r = el("div", "muted small reason", why);
        r.dir = "auto";
        if (x.reason && x.reason !== why) r.title = x.reason; // the server's words, for the curious
        st.append(r);
      }
      cell(tr, T.quality, el("span", "badge q-" + x.quality, T["quality_" + x.quality] || x.quality));
      const score = el("div", "score");
      const bar = el("span", "bar");
      bar.style.setProperty("--w", Math.round(x.score) + "%");
      bar.classList.add(x.score >= 80 ? "good" : x.score >= 40 ? "fair" : "poor");
      score.append(bar, el("b", "", n(Math.round(x.score))));
      if (x.state === "slowed") score.append(el("span", "muted small", " · " + n(Math.round(x.allowance * 100)) + (lang === "ar" ? "٪" : "%")));
      cell(tr, T.score, score);
      const tp = el("span", "", n(x.throughput) + " " + T.per_second);
      cell(tr, T.throughput, tp, x.throughput_level ? el("div", "muted small", x.throughput_level) : null);
      const t = x.today;
      cell(tr, T.today, el("b", "", n(t.sent) + " " + T.sent),
        el("div", "muted small", [n(t.delivered) + " " + T.delivered, n(t.read) + " " + T.read, n(t.replied) + " " + T.replied,
          n(t.opted_out) + " " + T.opted_out, n(t.failed) + " " + T.failed].join(" · ")));
      cell(tr, T.warmup, el("span", "", x.warmup_day ? n(x.warmup_day) : "—"));
      cell(tr, T.tier, x.tier ? ltr(x.tier) : el("span", "muted", "—"));
      cell(tr, T.account, ltr(x.account));
      cell(tr, T.portfolio, x.portfolio ? ltr(x.portfolio) : el("span", "muted", "—"));
      const camps = el("ul", "campaigns");
      for (const c of x.campaigns || []) {
        const li = el("li");
        li.append(ltr(c.name), " ", el("span", "muted small", [n(c.sent) + " " + T.sent, n(c.delivered) + " " + T.delivered,
          n(c.read) + " " + T.read, n(c.failed) + " " + T.failed].join(" · ")));
        camps.append(li);
      }
      cell(tr, T.campaigns, (x.campaigns || []).length ? camps : el("span", "muted", "—"));
      tbody.append(tr);
    }
    $("summary").textContent = T.summary.replace("{healthy}", n(healthy)).replace("{total}", n(total));
    $("updated").textContent = new Date().toLocaleTimeString(locale);
  }

  async function load() {
    const token = sessionStorage.getItem(key);
    if (!token) return signin();
    let res;
    try {
      res = await fetch("/api/numbers", { headers: { Authorization: "Bearer " + token } });
    } catch (e) {
      $("load-error").hidden = false;
      return;
    }
    if (res.status === 401) {
      sessionStorage.removeItem(key);
      signin(true);
      return;
    }
    if (!res.ok) {
      $("load-error").hidden = false;
      return;
    }
    $("load-error").hidden = true;
    const body = await res.json();
    $("signin-view").hidden = true;
    $("app").hidden = false;
    draw(body.numbers || []);
    clearTimeout(timer);
    timer = setTimeout(load, 30000);
  }

  function signin(wrong) {
    clearTimeout(timer);
    $("app").hidden = true;
    $("signin-view").hidden = false;
    $("signin-error").hidden = !wrong;
    $("token").focus();
  }

  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(key, $("token").value.trim());
    $("token").value = "";
    load();
  });
  $("signout").addEventListener("click", () => { sessionStorage.removeItem(key); signin(false); });
  load();
})();
