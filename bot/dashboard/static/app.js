// The team dashboard: a Telegram Mini App, and the same page on an office TV (/dashboard/tv/{token}).
// No build step, no library. Every string a person typed goes in as a text node, never as HTML.
"use strict";

(() => {
  const tg = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  const tvMatch = location.pathname.match(/^(.*\/dashboard)\/tv\/([^/]+)\/?$/);
  const tvToken = tvMatch ? tvMatch[2] : null;
  const dashboardAt = location.pathname.indexOf("/dashboard");
  const base = dashboardAt >= 0 ? location.pathname.slice(0, dashboardAt) + "/dashboard" : "/dashboard";
  const SVG = "http://www.w3.org/2000/svg";
  const TV_BOARD_ROWS = 10;
  const TV_PERIODS = ["week", "month"];
  const RETRY_AFTER_FAILURE_SECONDS = 30;

  const state = {
    texts: null,
    lang: "en",
    session: null,
    period: "today",
    person: null,
    boardMetric: null,
    boardPeriod: "week",
    teamPeriod: "week",
    tagsPeriod: "week",
    weekMetric: null,
    personMetric: null,
    celebratedUntil: null,
    stopped: false,
    started: false,
  };

  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      super("HTTP " + status);
      this.status = status;
      this.body = body || {};
      this.retryAfter = retryAfter;
    }
  }

  // ---- small DOM helpers: strings become text nodes ----

  function h(tag, props, ...kids) {
    const node = document.createElement(tag);
    setProps(node, props);
    for (const kid of kids.flat()) {
      if (kid !== null && kid !== undefined && kid !== false) node.append(kid);
    }
    return node;
  }

  function s(tag, props, ...kids) {
    const node = document.createElementNS(SVG, tag);
    setProps(node, props);
    for (const kid of kids.flat()) {
      if (kid !== null && kid !== undefined && kid !== false) node.append(kid);
    }
    return node;
  }

  function setProps(node, props) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }

  // Texts carry no placeholders: a figure goes after its label, so any language reads right.
  function t(key) {
    return state.texts && key in state.texts ? state.texts[key] : key;
  }

  // ---- the API ----

  async function api(path, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined) query.set(key, value);
    }
    const prefix = tvToken ? base + "/api/tv/" + tvToken : base + "/api";
    const url = prefix + path + (query.toString() ? "?" + query : "");
    const headers = tvToken || !tg ? {} : { "X-Telegram-Init-Data": tg.initData || "" };
    const response = await fetch(url, { headers, cache: "no-store", credentials: "omit" });
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok) {
      throw new ApiError(response.status, body, Number(response.headers.get("Retry-After")) || 0);
    }
    return body;
  }

  // Without a session (no or stale initData, a revoked TV link) the texts come on their own
  // from the API, or else from the last session this browser had.
  const SAVED_TEXTS = "kpi-dashboard-texts";

  function saveTexts(session) {
    try {
      localStorage.setItem(SAVED_TEXTS, JSON.stringify({ lang: session.lang, texts: session.texts }));
    } catch (error) {
      // Storage refused (private mode, full): only the messages without a session lose out.
    }
  }

  async function loadTexts() {
    if (state.texts) return;
    const user = tg && tg.initDataUnsafe && tg.initDataUnsafe.user;
    const code = ((user && user.language_code) || navigator.language || "en").toLowerCase();
    const lang = code.startsWith("ru") ? "ru" : "en";
    try {
      const response = await fetch(base + "/api/texts?lang=" + encodeURIComponent(lang), {
        credentials: "omit",
      });
      if (response.ok) {
        const body = await response.json();
        state.texts = body.texts;
        state.lang = body.lang;
        return;
      }
    } catch (error) {
      // Out of reach: the saved texts, if any.
    }
    try {
      const saved = JSON.parse(localStorage.getItem(SAVED_TEXTS) || "null");
      if (saved && saved.texts) {
        state.texts = saved.texts;
        state.lang = saved.lang;
      }
    } catch (error) {
      // Nothing saved: the message shows its key.
    }
  }

  // ---- theme: Telegram's themeParams, or the dark TV palette ----

  const THEME_VARS = {
    bg_color: "--bg",
    secondary_bg_color: "--bg2",
    section_bg_color: "--card",
    text_color: "--text",
    hint_color: "--hint",
    link_color: "--link",
    button_color: "--accent",
    button_text_color: "--accent-text",
    destructive_text_color: "--bad",
  };

  function applyTheme() {
    const root = document.documentElement;
    if (tvToken) {
      root.classList.add("tv", "dark");
      return;
    }
    const params = (tg && tg.themeParams) || {};
    for (const [param, cssVar] of Object.entries(THEME_VARS)) {
      const color = params[param];
      // Only plain hex colors reach the style sheet.
      if (typeof color === "string" && /^#[0-9a-fA-F]{3,8}$/.test(color)) {
        root.style.setProperty(cssVar, color);
      } else {
        root.style.removeProperty(cssVar);
      }
    }
    const dark = tg && tg.colorScheme
      ? tg.colorScheme === "dark"
      : window.matchMedia("(prefers-color-scheme: dark)").matches;
    root.classList.toggle("dark", dark);
  }

  // ---- messages that replace the whole page ----

  function showNotice(text, action) {
    const app = document.getElementById("app");
    app.replaceChildren(h("p", { class: "notice", id: "notice" }, text), ...(action ? [action] : []));
    app.setAttribute("aria-busy", "false");
  }

  function stop(text, action) {
    state.stopped = true;
    showNotice(text, action);
    document.documentElement.dataset.ready = "stopped";
  }

  // Errors that end the page: a stale or bad initData, a TV link revoked, nobody's team.
  function fatal(error) {
    if (!(error instanceof ApiError)) return false;
    if (error.status === 401) {
      if (error.body.reason === "stale") {
        const close = tg && tg.close
          ? h("button", { class: "action", type: "button", onclick: () => tg.close() }, t("dash.reopen"))
          : null;
        stop(t("dash.stale"), close);
      } else {
        stop(t("dash.unauthorized"));
      }
      return true;
    }
    if (error.status === 404 && tvToken) {
      stop(t("dash.tv.invalid"));
      return true;
    }
    return false;
  }

  function sectionError(error) {
    if (error instanceof ApiError && error.status === 429) return t("dash.rate_limited");
    if (error instanceof ApiError && error.status === 403) return t("dash.forbidden.section");
    return t("dash.offline");
  }

  // ---- pieces ----

  function chips(items, current, onPick, label) {
    return h(
      "div",
      { class: "chips", role: "group", "aria-label": label },
      items.map((item) =>
        h(
          "button",
          {
            type: "button",
            class: item.key === current ? "chip on" : "chip",
            "aria-pressed": item.key === current ? "true" : "false",
            "data-key": item.key,
            onclick: () => onPick(item.key),
          },
          item.label,
        ),
      ),
    );
  }

  function bar(fraction, status, paceFraction) {
    const width = Math.max(0, Math.min(1, fraction || 0)) * 100;
    return s(
      "svg",
      { class: "bar", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true" },
      s("rect", { class: "track", x: 0, y: 0, width: 100, height: 10, rx: 2 }),
      s("rect", { class: "fill " + (status || ""), x: 0, y: 0, width: width.toFixed(2), height: 10, rx: 2 }),
      paceFraction === null || paceFraction === undefined
        ? null
        : s("line", {
            class: "pace",
            x1: (Math.min(1, paceFraction) * 100).toFixed(2),
            x2: (Math.min(1, paceFraction) * 100).toFixed(2),
            y1: -1,
            y2: 11,
            "vector-effect": "non-scaling-stroke",
          }),
    );
  }

  function section(id, title, ...kids) {
    return h("section", { class: "card", id }, h("h2", {}, title), ...kids);
  }

  function into(id, node) {
    const old = document.getElementById(id);
    if (old) old.replaceWith(node);
  }

  function placeholder(id) {
    return h("section", { class: "card", id }, h("p", { class: "hint" }, t("dash.loading")));
  }

  function periodsFor(keys) {
    return state.session.periods.filter((period) => keys.includes(period.key));
  }

  function dayShown(iso) {
    const [year, month, day] = iso.split("-").map(Number);
    return new Intl.DateTimeFormat(state.lang, { day: "numeric", month: "short", timeZone: "UTC" })
      .format(new Date(Date.UTC(year, month - 1, day)));
  }

  // Loads one section; a failure stays in that section unless it ends the page.
  async function fill(id, title, load, render) {
    try {
      into(id, render(await load()));
    } catch (error) {
      if (fatal(error)) return;
      into(id, section(id, title, h("p", { class: "hint error" }, sectionError(error))));
      if (error instanceof ApiError && error.status === 429 && !state.stopped) {
        setTimeout(() => fill(id, title, load, render), Math.max(1, error.retryAfter) * 1000);
      }
    }
  }

  // ---- my numbers (or a person's, for a manager) ----

  function renderNumbers(data) {
    const period = data.period;
    const title = state.person ? data.name : t("dash.my");
    const rows = data.metrics.map((metric) => {
      const hasTarget = metric.target !== null && metric.target !== undefined;
      const fraction = hasTarget && metric.target > 0 ? metric.value / metric.target : 0;
      const pace = hasTarget && metric.pace !== null && metric.target > 0 ? metric.pace / metric.target : null;
      return h(
        "li",
        { class: "metric " + metric.status, "data-key": metric.key },
        h("span", { class: "label" }, metric.label),
        h(
          "span",
          { class: "figures" },
          h("b", { class: "value" }, metric.value_shown),
          hasTarget ? h("span", { class: "target" }, " / " + metric.target_shown) : null,
        ),
        hasTarget ? bar(fraction, metric.status, pace) : null,
        h(
          "span",
          { class: "status" },
          hasTarget && metric.percent_shown ? h("b", {}, metric.percent_shown + " ") : null,
          t("dash.status." + metric.status),
          metric.pace_shown && metric.status !== "done" && hasTarget
            ? h("span", { class: "hint" }, " · " + t("dash.pace") + " " + metric.pace_shown)
            : null,
        ),
      );
    });
    return section(
      "numbers",
      title,
      state.person
        ? h("button", { type: "button", class: "link", onclick: () => openPerson(null) }, "← " + t("dash.back"))
        : null,
      chips(state.session.periods, state.period, (key) => {
        state.period = key;
        loadNumbers();
      }, t("dash.period")),
      h(
        "p",
        { class: "hint" },
        period.label + " · " + period.working_days_left_shown,
      ),
      h("ul", { class: "metrics" }, rows),
    );
  }

  function loadNumbers() {
    return fill(
      "numbers",
      t("dash.my"),
      () => api("/me", { period: state.period, user_id: state.person }),
      renderNumbers,
    );
  }

  // ---- a person's last 30 days (manager) ----

  function renderPerson(data) {
    const metric = state.personMetric || data.metrics[0].key;
    const values = data.days.map((day) => Number(day.values[metric] || 0));
    const top = Math.max(1, ...values);
    const step = 300 / data.days.length;
    const columns = data.days.map((day, index) => {
      const height = (values[index] / top) * 100;
      const shown = metric === "revenue" ? day.revenue_shown : String(day.values[metric] || 0);
      return s(
        "rect",
        {
          class: day.working ? "day" : "day off",
          x: (index * step + step * 0.1).toFixed(2),
          y: (110 - height).toFixed(2),
          width: (step * 0.8).toFixed(2),
          height: Math.max(height, 0.5).toFixed(2),
        },
        s("title", {}, day.date_shown + ": " + shown),
      );
    });
    const first = data.days[0];
    const last = data.days[data.days.length - 1];
    const peak = data.days[values.indexOf(top)];
    const peakShown = values.some((v) => v > 0)
      ? (metric === "revenue" ? peak.revenue_shown : String(top))
      : "0";
    return section(
      "person",
      t("dash.person"),
      chips(data.metrics, metric, (key) => {
        state.personMetric = key;
        into("person", renderPerson(data));
      }, t("dash.metric")),
      s(
        "svg",
        { class: "days", viewBox: "0 0 300 128", role: "img", "aria-label": data.name + ": " + t("dash.person") },
        s("line", { class: "axis", x1: 0, x2: 300, y1: 110.5, y2: 110.5 }),
        columns,
        s("text", { class: "tick", x: 0, y: 124 }, first ? first.date_shown : ""),
        s("text", { class: "tick", x: 300, y: 124, "text-anchor": "end" }, last ? last.date_shown : ""),
        s("text", { class: "tick", x: 300, y: 8, "text-anchor": "end" }, t("dash.peak") + " " + peakShown),
      ),
    );
  }

  function openPerson(userId) {
    state.person = userId;
    const app = document.getElementById("app");
    const old = document.getElementById("person");
    if (userId === null) {
      if (old) old.remove();
    } else if (!old) {
      document.getElementById("numbers").after(placeholder("person"));
    }
    loadNumbers();
    if (userId !== null) {
      loadPerson();
      app.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }

  function loadPerson() {
    return fill("person", t("dash.person"), () => api("/person/" + state.person), renderPerson);
  }

  // ---- the leaderboard ----

  function boardRows(data, limit) {
    const rows = data.rows.slice(0, limit);
    const topPercent = Math.max(1, ...rows.map((row) => row.percent || 0));
    const topValue = Math.max(1, ...rows.map((row) => Number(row.value) || 0));
    return h(
      "ol",
      { class: "board" },
      rows.map((row) =>
        h(
          "li",
          { class: row.is_me ? "row me" : "row", "data-user": row.user_id },
          h("span", { class: "place" }, String(row.place)),
          h("span", { class: "name" }, row.name),
          h("span", { class: "value" }, row.value_shown),
          h("span", { class: "percent" }, row.percent_shown || ""),
          bar(
            row.percent !== null && row.percent !== undefined
              ? row.percent / topPercent
              : Number(row.value) / topValue,
            row.percent !== null && row.percent !== undefined && row.percent >= 1 ? "done" : "on_pace",
          ),
        ),
      ),
    );
  }

  function renderBoard(data) {
    return section(
      "board",
      t("dash.board"),
      chips(state.session.metrics, state.boardMetric, (key) => {
        state.boardMetric = key;
        loadBoard();
      }, t("dash.metric")),
      chips(periodsFor(["week", "month"]), state.boardPeriod, (key) => {
        state.boardPeriod = key;
        loadBoard();
      }, t("dash.period")),
      h("p", { class: "hint" }, data.by === "percent" ? t("dash.board.by_percent") : t("dash.board.by_value")),
      data.rows.length ? boardRows(data, data.rows.length) : h("p", { class: "hint" }, t("dash.empty")),
    );
  }

  async function loadBoard() {
    try {
      into("board", renderBoard(await api("/board", { metric: state.boardMetric, period: state.boardPeriod })));
    } catch (error) {
      if (fatal(error)) return;
      if (error instanceof ApiError && error.status === 403) {
        into("board", section("board", t("dash.board"), h("p", { class: "hint" }, t("dash.board.private"))));
        return;
      }
      into("board", section("board", t("dash.board"), h("p", { class: "hint error" }, sectionError(error))));
    }
  }

  // ---- the team table (manager) ----

  function renderTeam(data) {
    return section(
      "team",
      t("dash.team"),
      chips(periodsFor(["week", "month"]), state.teamPeriod, (key) => {
        state.teamPeriod = key;
        loadTeam();
      }, t("dash.period")),
      h("p", { class: "hint" }, t("dash.team.hint")),
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { class: "team" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("dash.name")), data.metrics.map((m) => h("th", { scope: "col" }, m.label)))),
          h(
            "tbody",
            {},
            data.rows.map((row) =>
              h(
                "tr",
                { "data-user": row.user_id },
                h(
                  "th",
                  { scope: "row" },
                  h("button", { type: "button", class: "link", onclick: () => openPerson(row.user_id) }, row.name),
                ),
                row.cells.map((cell) =>
                  h(
                    "td",
                    { class: cell.status, "data-key": cell.key },
                    h("span", { class: "cell-value" }, cell.value_shown),
                    cell.percent_shown ? h("span", { class: "cell-percent" }, cell.percent_shown) : null,
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function loadTeam() {
    return fill("team", t("dash.team"), () => api("/team", { period: state.teamPeriod }), renderTeam);
  }

  // ---- last week's chart (manager) ----

  function renderWeek(data) {
    const metric = state.weekMetric || data.metrics[0].key;
    const top = Math.max(1, ...data.rows.map((row) => Number(row.values[metric]) || 0));
    const rows = [...data.rows].sort((a, b) => (Number(b.values[metric]) || 0) - (Number(a.values[metric]) || 0));
    return section(
      "week",
      t("dash.week"),
      h("p", { class: "hint" }, dayShown(data.start) + " – " + dayShown(data.end)),
      chips(data.metrics, metric, (key) => {
        state.weekMetric = key;
        into("week", renderWeek(data));
      }, t("dash.metric")),
      rows.length
        ? h(
            "ol",
            { class: "board plain" },
            rows.map((row) =>
              h(
                "li",
                { class: "row", "data-user": row.user_id },
                h("span", { class: "name" }, row.name),
                h("span", { class: "value" }, row.shown[metric]),
                bar((Number(row.values[metric]) || 0) / top, "on_pace"),
              ),
            ),
          )
        : h("p", { class: "hint" }, t("dash.empty")),
    );
  }

  function loadWeek() {
    return fill("week", t("dash.week"), () => api("/week"), renderWeek);
  }

  // ---- per-#tag figures ----

  function renderTags(data) {
    // The columns something was logged in (a team tagging deals only keeps a short table).
    const metrics = data.metrics.filter((m) => data.rows.some((row) => Number(row.values[m.key])));
    const top = Math.max(1, ...data.rows.map((row) => Number(row.values.revenue) || 0));
    const cell = (row, key) =>
      key === "revenue"
        ? h("td", {}, h("span", {}, row.shown.revenue), bar((Number(row.values.revenue) || 0) / top, "on_pace"))
        : h("td", {}, row.shown[key]);
    return section(
      "tags",
      t("dash.tags"),
      chips(periodsFor(["week", "month"]), state.tagsPeriod, (key) => {
        state.tagsPeriod = key;
        loadTags();
      }, t("dash.period")),
      data.rows.length
        ? h(
            "table",
            { class: "tags" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("dash.tags.tag")), metrics.map((m) => h("th", { scope: "col" }, m.label)))),
            h(
              "tbody",
              {},
              data.rows.map((row) => h("tr", {}, h("th", { scope: "row" }, "#" + row.tag), metrics.map((m) => cell(row, m.key)))),
            ),
          )
        : h("p", { class: "hint" }, t("dash.tags.empty")),
    );
  }

  function loadTags() {
    return fill("tags", t("dash.tags"), () => api("/tags", { period: state.tagsPeriod }), renderTags);
  }

  // ---- the Mini App ----

  function loadAll() {
    const manager = state.session.user.role === "manager";
    const loads = [loadNumbers(), loadBoard(), loadTags()];
    if (state.person !== null) loads.push(loadPerson());
    if (manager) loads.push(loadTeam(), loadWeek());
    return Promise.all(loads);
  }

  function layout() {
    const session = state.session;
    const manager = session.user.role === "manager";
    const app = document.getElementById("app");
    const sections = manager ? ["numbers", "board", "team", "week", "tags"] : ["numbers", "board", "tags"];
    app.replaceChildren(
      h(
        "header",
        { class: "top" },
        h("h1", {}, session.team.name),
        h("p", { class: "hint" }, session.user.name),
      ),
      ...sections.map(placeholder),
    );
    app.setAttribute("aria-busy", "false");
  }

  // ---- TV ----

  function tvLayout() {
    const session = state.session;
    const app = document.getElementById("app");
    app.replaceChildren(
      h(
        "header",
        { class: "top" },
        h("h1", {}, session.team.name),
        h("p", { class: "hint", id: "updated" }, ""),
      ),
      h("h2", { class: "tv-metric", id: "metric" }, ""),
      ...TV_PERIODS.map((period) => placeholder("board-" + period)),
    );
    app.setAttribute("aria-busy", "false");
  }

  // The wall screen shows the week and the month side by side, one metric at a time.
  async function tvBoard(period) {
    const id = "board-" + period;
    const data = await api("/board", { metric: state.boardMetric, period });
    document.getElementById("metric").textContent = data.metric.label;
    into(
      id,
      section(
        id,
        data.period.label,
        data.rows.length ? boardRows(data, TV_BOARD_ROWS) : h("p", { class: "hint" }, t("dash.empty")),
      ),
    );
  }

  async function tvBoards() {
    // After a message took the screen (say, stats made private), the boards come back here.
    if (!document.getElementById("metric")) tvLayout();
    try {
      await Promise.all(TV_PERIODS.map(tvBoard));
      const time = new Intl.DateTimeFormat(state.lang, { hour: "2-digit", minute: "2-digit" }).format(new Date());
      document.getElementById("updated").textContent = t("dash.tv.updated") + " " + time;
    } catch (error) {
      if (fatal(error)) return;
      const text = error instanceof ApiError && error.status === 403 ? t("dash.tv.private") : sectionError(error);
      const app = document.getElementById("app");
      app.replaceChildren(app.firstChild, h("p", { class: "notice", id: "notice" }, text));
    }
  }

  async function tvCelebrations() {
    try {
      // The first ask (no `since`) only sets the mark, in the server's clock: a banner is for
      // what happened since the last refresh.
      const data = await api("/celebrations", { since: state.celebratedUntil });
      if (state.celebratedUntil) showBanner(data.items);
      state.celebratedUntil = data.now;
    } catch (error) {
      fatal(error);
    }
  }

  function showBanner(items) {
    const banner = document.getElementById("banner");
    if (!items.length) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    banner.replaceChildren(
      ...items.map((item) => h("p", { class: "cheer" }, h("b", {}, item.name), " ", item.text)),
    );
    banner.hidden = false;
  }

  async function tvRefresh(rotate) {
    if (rotate) {
      // The wall screen walks through the metrics, one per refresh.
      const keys = state.session.metrics.map((metric) => metric.key);
      state.boardMetric = keys[(keys.indexOf(state.boardMetric) + 1) % keys.length];
    }
    await Promise.all([tvBoards(), tvCelebrations()]);
  }

  // A wall screen: full screen on a click (browsers allow it only then), and kept awake.
  function tvScreen() {
    document.addEventListener("click", () => {
      const root = document.documentElement;
      if (!document.fullscreenElement && root.requestFullscreen) root.requestFullscreen().catch(() => {});
    });
    const keepAwake = () => {
      if (navigator.wakeLock && document.visibilityState === "visible") {
        navigator.wakeLock.request("screen").catch(() => {});
      }
    };
    keepAwake();
    document.addEventListener("visibilitychange", keepAwake);
  }

  // ---- start ----

  function every(seconds, task) {
    const timer = setInterval(() => {
      if (state.stopped) clearInterval(timer);
      else if (document.visibilityState === "visible" || tvToken) task();
    }, seconds * 1000);
  }

  // Telegram's optional methods: an older client may lack one, or refuse it (it throws then).
  function telegram(method, ...args) {
    if (!tg || typeof tg[method] !== "function") return;
    try {
      tg[method](...args);
    } catch (error) {
      // Not supported by this client: the page works without it.
    }
  }

  function meetTelegram() {
    telegram("ready");
    telegram("expand");
    telegram("onEvent", "themeChanged", applyTheme);
  }

  // Whatever start() did not expect (a bug, an odd answer): say so and try again, rather than
  // leave the "…" of the first paint for good.
  async function failed(error) {
    console.error("The dashboard could not start:", error);
    if (!state.texts) await loadTexts();
    showNotice(t("dash.offline"));
    document.documentElement.dataset.ready = "failed";
    setTimeout(run, RETRY_AFTER_FAILURE_SECONDS * 1000);
  }

  function run() {
    start().catch(failed);
  }

  async function start() {
    applyTheme();
    if (!tvToken && !(tg && tg.initData)) {
      await loadTexts();
      stop(t("dash.unauthorized"));
      return;
    }
    let session;
    try {
      session = await api("/session");
    } catch (error) {
      await loadTexts();
      if (fatal(error)) return;
      if (error instanceof ApiError && error.status === 403) stop(t("dash.forbidden"));
      else {
        showNotice(t("dash.offline"));
        setTimeout(run, Math.max(5, (error && error.retryAfter) || 0) * 1000);
      }
      return;
    }
    state.session = session;
    state.texts = session.texts;
    saveTexts(session);
    state.lang = session.lang;
    document.documentElement.lang = session.lang;
    document.title = t("dash.title");
    state.boardMetric = session.metrics[0].key;
    const refresh = session.refresh_seconds || 60;
    const firstStart = !state.started;  // a start tried again keeps the first one's timers
    if (tvToken) {
      if (firstStart) tvScreen();
      await tvRefresh(false);
      if (firstStart) every(refresh, () => tvRefresh(true));
    } else {
      layout();
      await loadAll();
      if (firstStart) every(refresh, loadAll);
    }
    state.started = true;
    if (!state.stopped) document.documentElement.dataset.ready = "shown";
  }

  meetTelegram();
  run();
})();
