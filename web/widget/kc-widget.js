// KommunalCampus-Assistent: the intranet widget. One <script> tag on the host page (see README, "Intranet-Widget"):
//   <script src="https://assistent.example.de/webhooks/widget/kc-widget.js" data-token-url="/kc-token" defer></script>
// The channel composes this file with its German texts (T, from texts.de.yml) and styles (CSS) into one script
// (bot/channels/widget_assets.py). It defines no globals and lives in a Shadow DOM under one host element.
// Bot, catalog and user text is only ever put into the page with textContent / DOM nodes, never as HTML.
"use strict";

const CHANNEL_PATH = "/webhooks/widget/";
const HOST_ID = "kc-assistant-widget";
const OPEN_KEY = "kc-assistant-widget-open";
const DELETE_PAYLOAD = "/delete_my_data";
const SVG_NS = "http://www.w3.org/2000/svg";
const script = document.currentScript;

function warn(message) {
  console.error("KommunalCampus widget: " + message);
}

class WidgetError extends Error {
  constructor(kind, text) {
    super(kind);
    this.kind = kind; // "unreachable" | "expired"
    this.text = text || null; // the server's own German explanation (503 of the request router), if any
  }
}

// --- configuration from the script tag ---------------------------------------------------------------------
function readConfig() {
  if (!script || !script.src) {
    warn("load the widget with a <script src=...> tag; it cannot start from inline code.");
    return null;
  }
  const data = script.dataset;
  if (!data.tokenUrl) {
    warn("data-token-url is missing: the URL of your intranet's token endpoint (see README).");
    return null;
  }
  const scriptUrl = new URL(script.src, location.href);
  const botUrl = data.botUrl
    ? new URL(data.botUrl, location.href).href.replace(/\/+$/, "")
    : scriptUrl.href.slice(0, scriptUrl.href.lastIndexOf(CHANNEL_PATH));
  return {
    botUrl: botUrl,
    tokenUrl: new URL(data.tokenUrl, location.href).href,
    title: (data.title || "").trim() || T.title,
    color: accentColor(data.color),
  };
}

function channelLuminance(hex) {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const linear = rgb.map((c) => (c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)));
  return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
}

// data-color must be a hex colour readable as text on white (>= 4.5:1); white text is used on it.
function accentColor(value) {
  if (!value) return null;
  if (!/^#[0-9a-fA-F]{6}$/.test(value)) {
    warn('data-color="' + value + '" is not a colour like #114a7a; using the default colour.');
    return null;
  }
  const ratio = 1.05 / (channelLuminance(value) + 0.05);
  if (ratio < 4.5) {
    warn('data-color="' + value + '" has a contrast of ' + ratio.toFixed(2) +
      ":1 to white, below 4.5:1 (WCAG AA); using the default colour.");
    return null;
  }
  return value;
}

// --- small DOM helpers -------------------------------------------------------------------------------------
function el(tag, props, children) {
  const node = document.createElement(tag);
  Object.entries(props || {}).forEach(([key, value]) => {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, String(value));
  });
  (children || []).forEach((child) => child && node.append(child));
  return node;
}

function srOnly(text) {
  return el("span", { class: "kc-sr", text: text });
}

function chatIcon() {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z");
  svg.append(path);
  return svg;
}

// --- safe Markdown subset: **bold**, [label](https://...), bare links, "- " and "1. " lists -----------------
function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch (error) {
    return null;
  }
}

function link(href, label) {
  const url = safeUrl(href);
  if (!url) return document.createTextNode(label);
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" },
    [document.createTextNode(label), srOnly(" " + T.new_window)]);
}

const INLINE = /\*\*([^*\n]+)\*\*|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+)/g;

function appendInline(parent, text) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    if (match[1] !== undefined) {
      parent.append(el("strong", { text: match[1] }));
    } else if (match[2] !== undefined) {
      parent.append(link(match[3], match[2]));
    } else {
      const url = match[4].replace(/[.,;:!?)]+$/, "");
      parent.append(link(url, url), match[4].slice(url.length));
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

function markdown(text) {
  const fragment = document.createDocumentFragment();
  let list = null;
  let paragraph = null;
  text.split("\n").forEach((line) => {
    const item = /^\s*(?:[-*•]|(\d+)\.)\s+(.*)$/.exec(line);
    if (item) {
      const kind = item[1] ? "ol" : "ul";
      if (!list || list.localName !== kind) {
        list = el(kind, kind === "ol" && item[1] !== "1" ? { start: item[1] } : {});
        fragment.append(list);
      }
      const entry = el("li");
      appendInline(entry, item[2]);
      list.append(entry);
      paragraph = null;
      return;
    }
    list = null;
    if (!line.trim()) {
      paragraph = null;
      return;
    }
    if (paragraph) paragraph.append(el("br"));
    else fragment.append((paragraph = el("p")));
    appendInline(paragraph, line);
  });
  return fragment;
}

// --- the widget ----------------------------------------------------------------------------------------------
function start(config) {
  if (document.getElementById(HOST_ID)) {
    warn("the widget script is included twice; only the first one runs.");
    return;
  }
  const host = el("div", { id: HOST_ID, lang: "de" });
  const shadow = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el("style", { text: CSS }));
  }

  let token = null;
  let tokenExpiry = 0;
  let loaded = false;
  let busy = false;
  let blocked = false;

  const launcher = el("button", { type: "button", class: "kc-launcher", "aria-expanded": "false",
    "aria-controls": "kc-panel" }, [chatIcon(), el("span", { text: config.title })]);
  const title = el("h2", { id: "kc-title", class: "kc-title", text: config.title });
  const closeButton = el("button", { type: "button", class: "kc-icon-button", "aria-label": T.close, text: "✕" });
  const deleteButton = el("button", { type: "button", class: "kc-link-button", text: T.delete });
  const question = el("p", { id: "kc-confirm-question", tabindex: "-1", text: T.delete_question });
  const confirmYes = el("button", { type: "button", class: "kc-chip", text: T.delete_yes });
  const confirmNo = el("button", { type: "button", class: "kc-chip", text: T.delete_no });
  const confirmBox = el("div", { class: "kc-confirm", role: "group", "aria-labelledby": "kc-confirm-question",
    hidden: true }, [question, el("div", { class: "kc-buttons" }, [confirmYes, confirmNo])]);
  const log = el("div", { class: "kc-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": T.log_label });
  const scroller = el("div", { class: "kc-scroll" }, [el("p", { class: "kc-notice", text: T.privacy_notice }), log]);
  const status = el("div", { class: "kc-sr", role: "status" });
  const alertText = el("p");
  const alertButton = el("button", { type: "button", class: "kc-chip" });
  const alertBox = el("div", { class: "kc-alert", role: "alert", hidden: true }, [alertText, alertButton]);
  const input = el("input", { id: "kc-input", type: "text", autocomplete: "off", placeholder: T.placeholder });
  const sendButton = el("button", { type: "submit", class: "kc-send", text: T.send });
  const form = el("form", { class: "kc-form" }, [el("label", { for: "kc-input", class: "kc-sr", text: T.input_label }),
    input, sendButton]);
  const panel = el("section", { id: "kc-panel", class: "kc-panel", role: "dialog", "aria-labelledby": "kc-title",
    hidden: true }, [
    el("div", { class: "kc-header" }, [
      el("div", { class: "kc-header__text" }, [title, el("p", { class: "kc-subtitle", text: T.subtitle })]),
      closeButton,
    ]),
    el("div", { class: "kc-toolbar" }, [deleteButton]),
    confirmBox, scroller, status, alertBox, form,
  ]);
  const root = el("div", { class: "kc", lang: "de" }, [launcher, panel]);
  if (config.color) root.style.setProperty("--kc-accent", config.color);
  shadow.append(root);
  document.body.append(host);

  // --- tokens and requests --------------------------------------------------------------------------------
  function expiryOf(jwt) {
    try {
      const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4))).exp * 1000;
    } catch (error) {
      return 0;
    }
  }

  async function fetchToken() {
    let reply;
    try {
      reply = await fetch(config.tokenUrl, { method: "POST", credentials: "include", cache: "no-store",
        headers: { Accept: "application/json" } });
    } catch (error) {
      throw new WidgetError("unreachable");
    }
    if (reply.status === 401 || reply.status === 403) throw new WidgetError("expired");
    const body = reply.ok ? await reply.json().catch(() => null) : null;
    if (!body || typeof body.token !== "string") {
      if (reply.ok) warn('the token URL must answer with JSON {"token": "<signed JWT>"}.');
      throw new WidgetError("unreachable");
    }
    token = body.token;
    tokenExpiry = expiryOf(token) || Date.now() + 60000;
  }

  // The token travels in a text/plain body: a "simple" cross-origin request without a CORS preflight
  // (see bot/channels/widget.py for why).
  async function post(path, body) {
    try {
      return await fetch(config.botUrl + CHANNEL_PATH + path, { method: "POST", credentials: "omit",
        cache: "no-store", headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify(Object.assign({ token: token }, body)) });
    } catch (error) {
      throw new WidgetError("unreachable");
    }
  }

  // The answer of the channel, or {refused: [messages]} for a message the channel's guards turned down.
  async function callBot(path, body) {
    if (!token || tokenExpiry - Date.now() < 60000) await fetchToken();
    let reply = await post(path, body);
    if (reply.status === 401) {
      await fetchToken();
      reply = await post(path, body);
      if (reply.status === 401) throw new WidgetError("expired");
    }
    const data = await reply.json().catch(() => null);
    if ([400, 413, 429].includes(reply.status) && data && Array.isArray(data.messages)) {
      return { refused: data.messages };
    }
    if (reply.status === 503 && data && Array.isArray(data.messages)) {
      throw new WidgetError("unreachable", data.messages.map((m) => m && m.text).filter(Boolean).join(" "));
    }
    if (!reply.ok || !data) throw new WidgetError("unreachable");
    return data;
  }

  // --- rendering ------------------------------------------------------------------------------------------
  function message(role, content) {
    const who = role === "user" ? T.you : T.assistant;
    return el("div", { class: "kc-msg kc-msg--" + role }, [srOnly(who + ": "), content]);
  }

  function buttonRow(buttons) {
    return el("div", { class: "kc-buttons" }, buttons.filter((b) => b && b.title).map((b) =>
      el("button", { type: "button", class: "kc-chip", text: b.title,
        onclick: () => (b.payload ? send(b.payload, b.title, { button: true }) : send(b.title, b.title)) })));
  }

  function offerCard(offer) {
    const heading = el("h3", { class: "kc-card__title" }, [
      el("span", { class: "kc-card__nr" }, [srOnly(T.offer + " "), document.createTextNode(String(offer.number || ""))]),
      offer.url && safeUrl(offer.url) ? link(offer.url, offer.title || "") : el("span", { text: offer.title || "" }),
    ]);
    const facts = [offer.format_label, offer.duration_label, offer.level_label, offer.cost_label]
      .filter((fact) => typeof fact === "string" && fact)
      .map((fact) => el("li", { text: fact }));
    return el("article", { class: "kc-card" }, [
      srOnly(T.assistant + ": "),
      heading,
      offer.provider ? el("p", { class: "kc-card__provider", text: offer.provider }) : null,
      facts.length ? el("ul", { class: "kc-card__facts" }, facts) : null,
      offer.why ? el("p", { class: "kc-card__why", text: offer.why }) : null,
      Array.isArray(offer.actions) && offer.actions.length ? buttonRow(offer.actions) : null,
    ]);
  }

  function botNodes(item) {
    if (item.offer && typeof item.offer === "object") return [offerCard(item.offer)];
    const nodes = [];
    if (typeof item.text === "string" && item.text) nodes.push(message("bot", el("div", {}, [markdown(item.text)])));
    if (Array.isArray(item.buttons) && item.buttons.length) nodes.push(buttonRow(item.buttons));
    return nodes;
  }

  function userNode(text) {
    return message("user", el("span", { text: text }));
  }

  function show(nodes) {
    if (!nodes.length) return;
    log.append(...nodes);
    const top = nodes[0].getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    const height = nodes[nodes.length - 1].getBoundingClientRect().bottom - nodes[0].getBoundingClientRect().top;
    scroller.scrollTop += height > scroller.clientHeight ? top - 8 : scroller.scrollHeight;
  }

  let typing = null;
  function setTyping(on) {
    if (on && !typing) {
      typing = el("div", { class: "kc-typing", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]);
      scroller.append(typing);
      scroller.scrollTop = scroller.scrollHeight;
      status.textContent = T.typing;
    } else if (!on && typing) {
      typing.remove();
      typing = null;
      status.textContent = "";
    }
  }

  function showAlert(text, buttonText, action) {
    alertText.textContent = text;
    alertButton.hidden = !buttonText;
    alertButton.textContent = buttonText || "";
    alertButton.onclick = action || null;
    alertBox.hidden = false;
  }

  function hideAlert() {
    alertBox.hidden = true;
  }

  function problem(error, retry) {
    if (error.kind === "expired") {
      blocked = true;
      input.disabled = true;
      sendButton.disabled = true;
      const focusInPanel = panel.contains(shadow.activeElement);
      showAlert(T.expired, T.reload, () => location.reload());
      if (focusInPanel) alertButton.focus(); // the disabled input would drop the focus; never steal it
    } else {
      if (!(error instanceof WidgetError)) warn("unexpected error: " + error);
      showAlert(error.text || T.unreachable, T.retry, () => {
        hideAlert();
        retry();
      });
    }
  }

  // --- conversation -----------------------------------------------------------------------------------------
  async function loadHistory() {
    if (busy) return;
    busy = true;
    setTyping(true);
    try {
      const data = await callBot("history", {});
      if (data.refused) {
        setTyping(false);
        showAlert(data.refused.map((m) => m.text).filter(Boolean).join(" "), T.retry, () => {
          hideAlert();
          loadHistory();
        });
        return;
      }
      const nodes = [];
      (data.greeting || []).forEach((item) => nodes.push(...botNodes(item)));
      (data.messages || []).forEach((item) => {
        if (item.role === "bot") nodes.push(...botNodes(item));
        else if (typeof item.text === "string") nodes.push(userNode(item.text));
        else if (item.command === DELETE_PAYLOAD) nodes.push(userNode(T.delete));
      });
      setTyping(false);
      show(nodes);
      // A new conversation starts at the top (privacy notice, greeting); a continued one at its latest message.
      scroller.scrollTop = (data.messages || []).length ? scroller.scrollHeight : 0;
      loaded = true;
      hideAlert();
    } catch (error) {
      setTyping(false);
      problem(error, loadHistory);
    } finally {
      busy = false;
    }
  }

  // Send one message; `shown` is what the log shows for it (a button's title), `restore` puts typed text back
  // into the input when the channel refuses it (too long, too many messages). A button's payload travels as
  // `payload`, typed text as `message`: the channel never takes typed text for a command.
  async function send(text, shown, options) {
    const opts = options || {};
    if (busy || blocked) return false;
    busy = true;
    sendButton.disabled = true;
    const echo = shown === null ? null : userNode(shown);
    if (echo) show([echo]);
    setTyping(true);
    try {
      const data = await callBot("webhook", opts.button ? { payload: text } : { message: text });
      setTyping(false);
      if (data.refused) {
        if (echo) echo.remove();
        if (opts.restore) input.value = text;
        showAlert(data.refused.map((m) => m.text).filter(Boolean).join(" ") || T.unreachable, null, null);
        return false;
      }
      hideAlert();
      if (opts.clearLog) log.replaceChildren();
      const nodes = [];
      (data.messages || []).forEach((item) => nodes.push(...botNodes(item)));
      show(nodes);
      return true;
    } catch (error) {
      setTyping(false);
      problem(error, () => send(text, null, opts));
      return false;
    } finally {
      busy = false;
      sendButton.disabled = blocked;
    }
  }

  // --- controls -----------------------------------------------------------------------------------------------
  function remember(open) {
    try {
      if (open) sessionStorage.setItem(OPEN_KEY, "1");
      else sessionStorage.removeItem(OPEN_KEY);
    } catch (error) {
      // storage disabled: the panel simply starts closed on the next page
    }
  }

  function openPanel(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    remember(true);
    if (focus) input.focus();
    if (!loaded) loadHistory();
  }

  function closePanel() {
    panel.hidden = true;
    confirmBox.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    remember(false);
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? openPanel(true) : closePanel()));
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || busy) return;
    input.value = "";
    send(text, text, { restore: true });
  });
  deleteButton.addEventListener("click", () => {
    confirmBox.hidden = false;
    question.focus();
  });
  confirmNo.addEventListener("click", () => {
    confirmBox.hidden = true;
    deleteButton.focus();
  });
  confirmYes.addEventListener("click", async () => {
    confirmBox.hidden = true;
    input.focus();
    await send(DELETE_PAYLOAD, T.delete, { clearLog: true, button: true });
  });

  let wasOpen = false;
  try {
    wasOpen = sessionStorage.getItem(OPEN_KEY) === "1";
  } catch (error) {
    wasOpen = false;
  }
  if (wasOpen) openPanel(false);
}

const config = readConfig();
if (config) {
  if (document.body) start(config);
  else document.addEventListener("DOMContentLoaded", () => start(config));
}
