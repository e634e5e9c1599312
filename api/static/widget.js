/*
 * The clinic's chat widget. One tag on any page of the clinic's site:
 *
 *   <script src="https://API/static/widget.js" data-rasa-url="https://RASA" data-clinic-name="..."
 *           data-colour="#0b5d6b" defer></script>
 *
 * Optional: data-api-url (where /api/widget/config and /api/feedback live; default: this script's
 * origin). It loads its stylesheet and socket.io's browser client from beside itself, so nothing comes
 * from anywhere but the clinic's own servers. It talks to Rasa's socket.io channel
 * (bot.channels.ClinicSocketIOInput): one `bot_uttered` per reply, with text, quick_replies and our
 * topic, sources and asks in `metadata` (the stock shape, which off-the-shelf clients render too).
 *
 * The conversation survives reloads and other pages of the site: the session id, the transcript and
 * the messages not yet acknowledged are kept in localStorage; a message typed while offline is sent
 * when the connection is back, with an id the server uses to take it only once.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.ClinicChat) return;

  var here = new URL(script.src, location.href);
  var staticBase = here.href.replace(/[^/]*$/, "");
  var apiUrl = (script.getAttribute("data-api-url") || here.origin).replace(/\/+$/, "");
  var rasaUrl = (script.getAttribute("data-rasa-url") || apiUrl).replace(/\/+$/, "");
  var clinicName = script.getAttribute("data-clinic-name") || "";
  var brand = readableBrand(script.getAttribute("data-colour"));
  var KEY = "clinic-chat:" + rasaUrl + ":";
  var LOG_LIMIT = 200;
  var ACK_TIMEOUT = 30000;

  // The widget's words; /api/widget/config replaces them with the clinic's (content/site.yml).
  var T = {
    launcher: "Questions? Chat with us",
    title: clinicName || "Chat",
    subtitle: "Automated assistant",
    privacy: "This chat is automated. Please share only what is needed, and nothing urgent.",
    privacy_link: "Privacy notice",
    placeholder: "Type your question…",
    send: "Send",
    close: "Close chat",
    restart: "New chat",
    restart_confirm: "Start a new chat? This conversation will be cleared from this device.",
    input_label: "Your message",
    log_label: "Conversation",
    suggestions_label: "Suggested replies",
    you: "You",
    assistant: "Assistant",
    typing: "The assistant is typing",
    connecting: "Connecting…",
    reconnecting: "Reconnecting… Messages you send now will go out when the connection is back.",
    queued: "Waiting to send",
    helpful_question: "Was this helpful?",
    helpful_yes: "Yes, this was helpful",
    helpful_no: "No, this was not helpful",
    helpful_thanks: "Thank you for your feedback.",
    sources: "Read more:",
    asks: {},
    source_titles: {}
  };
  // How the message box changes with the prompt's custom.asks.
  var INPUT_MODES = {
    name: { type: "text", autocomplete: "name", inputmode: "text", autocapitalize: "words" },
    contact: { type: "text", autocomplete: "tel", inputmode: "text", autocapitalize: "off" },
    preferred_time: { type: "text", autocomplete: "off", inputmode: "text", autocapitalize: "sentences" }
  };
  var PLAIN_INPUT = { type: "text", autocomplete: "off", inputmode: "text", autocapitalize: "sentences" };

  // ---- storage (a private window may refuse localStorage: then memory only) ----
  var memory = {};
  function load(name, fallback) {
    var raw;
    try { raw = localStorage.getItem(KEY + name); } catch (e) { raw = memory[name]; }
    if (raw == null) return fallback;
    try { return JSON.parse(raw); } catch (e) { return fallback; }
  }
  function save(name, value) {
    var raw = JSON.stringify(value);
    memory[name] = raw;
    try { localStorage.setItem(KEY + name, raw); } catch (e) { /* memory only */ }
  }
  function forget(name) {
    delete memory[name];
    try { localStorage.removeItem(KEY + name); } catch (e) { /* memory only */ }
  }
  function newId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  var tabId = newId();
  var sessionId = load("session", null) || newId();
  save("session", sessionId);
  var transcript = load("log", []);
  var outbox = load("outbox", []);
  var faqTopics = load("faq_topics", []);
  var privacyUrl = load("privacy_url", null);

  var socket = null;
  var confirmed = false;
  var inflight = {};
  var ui = null;
  var everConnected = false;

  // ---- colours: the clinic's colour, darkened until white text on it meets WCAG AA (4.5:1) ----
  function readableBrand(value) {
    var m = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec((value || "").trim());
    var hex = m ? m[1] : "0b5d6b";
    if (hex.length === 3) hex = hex.replace(/./g, "$&$&");
    var rgb = [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
    function luminance(c) {
      var l = c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
      return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    }
    while (1.05 / (luminance(rgb) + 0.05) < 4.6) rgb = rgb.map(function (v) { return Math.floor(v * 0.9); });
    return "#" + rgb.map(function (v) { return (v + 256).toString(16).slice(1); }).join("");
  }

  // ---- DOM helpers: text only ever goes in as text nodes ----
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value == null || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child != null) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function srOnly(text) { return el("span", { class: "cw-sr", text: text }); }
  function link(href, text) {
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: text });
  }
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;
  // Paragraphs of text with http(s) addresses as links; everything else stays text.
  function richText(text) {
    return String(text || "").split(/\n{2,}/).map(function (para) {
      var p = el("p");
      var last = 0;
      para.replace(URL_PATTERN, function (found, at) {
        var url = found.replace(/[.,;:!?)\]]+$/, "");
        p.appendChild(document.createTextNode(para.slice(last, at)));
        p.appendChild(link(url, url));
        last = at + url.length;
        return found;
      });
      p.appendChild(document.createTextNode(para.slice(last)));
      return p;
    });
  }

  // ---- the launcher and the panel ----
  function buildLauncher() {
    var root = el("div", { class: "cw", id: "clinic-chat" });
    root.style.setProperty("--cw-brand", brand);
    var launcher = el("button", {
      type: "button", class: "cw-launcher", "aria-expanded": "false", "aria-controls": "cw-panel",
      onclick: function () { if (ui && !ui.panel.hidden) closePanel(true); else open(true); }
    }, [el("span", { class: "cw-launcher-icon", "aria-hidden": "true", text: "💬" }), el("span", { class: "cw-launcher-text", text: T.launcher })]);
    root.appendChild(launcher);
    document.body.appendChild(root);
    return { root: root, launcher: launcher };
  }

  function buildPanel(shell) {
    var title = el("h2", { id: "cw-title", class: "cw-title", text: T.title });
    var subtitle = el("p", { class: "cw-subtitle", text: T.subtitle });
    var restart = el("button", { type: "button", class: "cw-restart", text: T.restart, onclick: restartChat });
    var close = el("button", { type: "button", class: "cw-close", "aria-label": T.close, onclick: function () { closePanel(true); } },
      [el("span", { "aria-hidden": "true", text: "×" })]);
    var status = el("p", { class: "cw-status", role: "status", "aria-live": "polite" });
    var log = el("div", { class: "cw-log", id: "cw-log", role: "log", "aria-live": "polite", "aria-label": T.log_label, tabindex: "0" });
    var typing = el("div", { class: "cw-typing", hidden: true }, [
      srOnly(T.typing), el("span", { class: "cw-dot", "aria-hidden": "true" }), el("span", { class: "cw-dot", "aria-hidden": "true" }), el("span", { class: "cw-dot", "aria-hidden": "true" })
    ]);
    var input = el("input", { id: "cw-input", class: "cw-input", type: "text", maxlength: "1000", autocomplete: "off", enterkeyhint: "send", placeholder: T.placeholder });
    var label = el("label", { for: "cw-input", class: "cw-sr", text: T.input_label });
    var send = el("button", { type: "submit", class: "cw-send", text: T.send });
    var form = el("form", { class: "cw-form", onsubmit: function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) { input.focus(); return; }
      input.value = "";
      send_(text, text, true);
      input.focus();
    } }, [label, input, send]);
    var panel = el("section", { id: "cw-panel", class: "cw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "cw-title", hidden: true }, [
      el("div", { class: "cw-head" }, [el("div", { class: "cw-head-text" }, [title, subtitle]), restart, close]),
      status, log, typing, form
    ]);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.stopPropagation(); closePanel(true); }
    });
    shell.root.insertBefore(panel, shell.launcher);
    return { panel: panel, title: title, subtitle: subtitle, restart: restart, close: close, status: status, log: log, typing: typing, input: input, label: label, send: send };
  }

  function relabel() {
    if (!shell) return;
    shell.launcher.querySelector(".cw-launcher-text").textContent = T.launcher;
    if (!ui) return;
    ui.title.textContent = T.title;
    ui.subtitle.textContent = T.subtitle;
    ui.restart.textContent = T.restart;
    ui.close.setAttribute("aria-label", T.close);
    ui.log.setAttribute("aria-label", T.log_label);
    ui.label.textContent = T.input_label;
    ui.send.textContent = T.send;
    ui.typing.firstChild.textContent = T.typing;
    applyAsks();
  }

  // ---- rendering the transcript ----
  function lastBotIndex() {
    for (var i = transcript.length - 1; i >= 0; i--) {
      if (transcript[i].who === "user") return -1;
      if (transcript[i].who === "bot") return i;
    }
    return -1;
  }

  function renderAll() {
    if (!ui) return;
    ui.log.textContent = "";
    var quick = lastBotIndex();
    transcript.forEach(function (item, index) { ui.log.appendChild(renderItem(item, index === quick, false)); });
    applyAsks();
    scrollDown();
  }

  function renderItem(item, withQuickReplies, live) {
    if (item.who === "note") {
      var note = el("p", { class: "cw-note" }, [item.text + " "]);
      if (item.url) note.appendChild(link(item.url, T.privacy_link));
      return note;
    }
    if (item.who === "user") {
      return el("div", { class: "cw-msg cw-user", "data-id": item.id }, [
        srOnly(T.you + ": "), el("p", { text: item.text }),
        item.state === "queued" ? el("span", { class: "cw-meta", text: T.queued }) : null
      ]);
    }
    var custom = item.custom || {};
    var emergency = custom.topic === "emergency";
    var urgent = custom.topic === "urgent";  // a same-day sign: call the clinic or the nurse line today
    var box = el("div", { class: "cw-msg cw-bot" + (emergency ? " cw-emergency" : "") + (urgent ? " cw-urgent" : ""), role: (emergency || urgent) && live ? "alert" : null, "data-topic": custom.topic || null },
      [srOnly(T.assistant + ": ")].concat(richText(item.text)));
    var sources = Array.isArray(custom.sources) ? custom.sources.filter(function (s) { return s && /^https?:\/\//.test(s.url || ""); }) : [];
    if (sources.length) {
      var line = el("p", { class: "cw-sources" }, [T.sources + " "]);
      sources.forEach(function (source, i) {
        if (i) line.appendChild(document.createTextNode(", "));
        line.appendChild(link(source.url, T.source_titles[source.name] || new URL(source.url).hostname));
      });
      box.appendChild(line);
    }
    if (isFaqAnswer(item)) box.appendChild(feedbackBlock(item));
    var wrap = el("div", { class: "cw-item" }, [box]);
    var buttons = item.buttons || [];
    if (withQuickReplies && buttons.length) {
      wrap.appendChild(el("div", { class: "cw-replies", role: "group", "aria-label": T.suggestions_label }, buttons.map(function (button) {
        return el("button", { type: "button", class: "cw-reply", text: button.title, onclick: function () {
          send_(button.payload, button.title, false);
          if (ui) ui.input.focus();
        } });
      })));
    }
    return wrap;
  }

  // An answer from the knowledge base: an FAQ topic with its follow-ups or sources. The booking form's
  // prompts and notes share the topic "booking" but carry `asks`, a reference, or nothing else.
  function isFaqAnswer(item) {
    var custom = item.custom || {};
    if (faqTopics.indexOf(custom.topic) < 0 || custom.asks || custom.reference || custom.saved) return false;
    return (item.buttons || []).length > 0 || Array.isArray(custom.sources);
  }

  function feedbackBlock(item) {
    if (item.fb) return el("p", { class: "cw-fb cw-fb-done", tabindex: "-1", text: T.helpful_thanks });
    var question = el("span", { class: "cw-fb-q", text: T.helpful_question });
    var block = el("div", { class: "cw-fb", role: "group" }, [question]);
    var qid = "cw-fb-" + item.id;
    question.id = qid;
    block.setAttribute("aria-labelledby", qid);
    [[true, "👍", T.helpful_yes], [false, "👎", T.helpful_no]].forEach(function (choice) {
      block.appendChild(el("button", { type: "button", class: "cw-fb-button", "aria-label": choice[2], title: choice[2], onclick: function () { rate(item, choice[0], block); } },
        [el("span", { "aria-hidden": "true", text: choice[1] })]));
    });
    return block;
  }

  function rate(item, helpful, block) {
    item.fb = helpful ? "up" : "down";
    save("log", transcript);
    var thanks = feedbackBlock(item);
    block.parentNode.replaceChild(thanks, block);
    thanks.focus();
    postFeedback({ kind: "rating", topic: item.custom.topic, helpful: helpful, question: questionBefore(item) });
  }

  function questionBefore(item) {
    var at = transcript.indexOf(item);
    for (var i = at - 1; i >= 0; i--) {
      if (transcript[i].who === "user") return transcript[i].typed ? transcript[i].text.slice(0, 500) : null;
    }
    return null;
  }

  function postFeedback(body) {
    // The conversation's id without its token's signature: staff see the id; only this browser holds
    // the token that opens the conversation.
    body.conversation_id = sessionId.split(".")[0];
    if (!body.question) delete body.question;
    fetch(apiUrl + "/api/feedback", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).catch(function () { /* feedback is a nicety: never bother the patient with it */ });
  }

  function scrollDown() {
    if (ui) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function applyAsks() {
    if (!ui) return;
    var asks = null;
    for (var i = transcript.length - 1; i >= 0; i--) {
      if (transcript[i].who === "bot") { asks = (transcript[i].custom || {}).asks || null; break; }
    }
    var mode = INPUT_MODES[asks] || PLAIN_INPUT;
    Object.keys(mode).forEach(function (name) { ui.input.setAttribute(name, mode[name]); });
    ui.input.setAttribute("placeholder", (asks && T.asks && T.asks[asks]) || T.placeholder);
  }

  function setStatus(text) {
    if (!ui) return;
    ui.status.textContent = text || "";
    ui.panel.classList.toggle("cw-offline", !!text);
  }

  function showTyping(on) {
    if (ui) ui.typing.hidden = !on;
    if (on) scrollDown();
  }

  // ---- the transcript ----
  function append(item) {
    // Another tab of the same site may have written meanwhile: start from what is stored.
    transcript = load("log", transcript).concat([item]).slice(-LOG_LIMIT);
    save("log", transcript);
    renderAll();
  }

  function markSent(id) {
    transcript = load("log", transcript);
    transcript.forEach(function (item) { if (item.id === id) delete item.state; });
    save("log", transcript);
    if (ui) {
      var node = ui.log.querySelector('[data-id="' + id + '"] .cw-meta');
      if (node) node.parentNode.removeChild(node);
    }
  }

  // ---- sending: every message goes through the outbox until the server acknowledges it ----
  function send_(message, shown, typed) {
    var id = newId();
    if (shown != null) append({ id: id, who: "user", text: shown, typed: typed, state: "queued" });
    outbox = load("outbox", outbox).concat([{ id: id, message: message }]);
    save("outbox", outbox);
    connect();
    flush();
  }

  function flush() {
    if (!socket || !confirmed) return;
    outbox = load("outbox", outbox);
    outbox.forEach(function (entry) {
      if (inflight[entry.id]) return;
      inflight[entry.id] = true;
      save("writer", tabId);
      showTyping(true);
      markSent(entry.id);
      socket.timeout(ACK_TIMEOUT).emit("user_uttered", { message: entry.message, session_id: sessionId, message_id: entry.id }, function (error) {
        delete inflight[entry.id];
        if (error) { flush(); return; } // no answer in time: send again; the server takes it once
        outbox = load("outbox", outbox).filter(function (other) { return other.id !== entry.id; });
        save("outbox", outbox);
        if (!Object.keys(inflight).length) showTyping(false);
      });
    });
  }

  function receive(message) {
    // Every tab of this conversation hears the reply; only the tab that sent the message keeps it.
    if (load("writer", tabId) !== tabId) return;
    var buttons = (message.quick_replies || message.buttons || []).filter(function (b) { return b && b.title; })
      .map(function (b) { return { title: String(b.title), payload: String(b.payload || b.title) }; });
    var item = { id: newId(), who: "bot", text: String(message.text || ""), buttons: buttons, custom: message.metadata || message.custom || {} };
    if (!item.text && !buttons.length) return;
    var before = transcript.length;
    append(item);
    showTyping(Object.keys(inflight).length > 0);
    if (ui) {
      var node = ui.log.lastChild && ui.log.lastChild.querySelector(".cw-emergency, .cw-urgent");
      if (node) node.setAttribute("role", "alert");
    }
    reportUnanswered(item, before);
  }

  // Questions the assistant could not answer go to staff's feedback page (typed ones only).
  function reportUnanswered(item, before) {
    var topic = item.custom.topic;
    if (topic !== "out_of_scope" && topic !== "clarify") return;
    var asked = transcript[transcript.length - 2];
    if (!asked || asked.who !== "user" || !asked.typed || transcript.length <= 1 || before < 1) return;
    // "yes", "no", "stop" with nothing open also get a clarify reply: they are not questions.
    if (topic === "clarify" && asked.text.split(/\s+/).length < 3) return;
    postFeedback({ kind: "unanswered", topic: topic, helpful: null, question: asked.text.slice(0, 500) });
  }

  // ---- the connection ----
  function loadSocketIo() {
    if (window.io) return Promise.resolve(window.io);
    if (loadSocketIo.promise) return loadSocketIo.promise;
    loadSocketIo.promise = new Promise(function (resolve, reject) {
      var tag = el("script", { src: staticBase + "vendor/socket.io.min.js", async: true });
      tag.onload = function () { resolve(window.io); };
      tag.onerror = function () { loadSocketIo.promise = null; reject(new Error("socket.io client not loaded")); };
      document.head.appendChild(tag);
    });
    return loadSocketIo.promise;
  }

  function connect() {
    if (socket || connect.pending) return;
    connect.pending = true;
    setStatus(T.connecting);
    loadSocketIo().then(function (io) {
      connect.pending = false;
      socket = io(rasaUrl, {
        path: "/socket.io", transports: ["websocket", "polling"], tryAllTransports: true, forceNew: true,
        reconnectionDelay: 1000, reconnectionDelayMax: 5000
      });
      socket.on("connect", function () {
        everConnected = true;
        socket.emit("session_request", { session_id: sessionId });
      });
      socket.on("session_confirm", function (id) {
        if (id && id !== sessionId) { sessionId = id; save("session", id); }
        confirmed = true;
        setStatus("");
        flush();
      });
      socket.on("bot_uttered", receive);
      socket.on("disconnect", function () { lost(); });
      socket.on("connect_error", function () { lost(); });
    }, function () {
      connect.pending = false;
      setStatus(T.reconnecting);
      setTimeout(connect, 5000);
    });
  }

  function lost() {
    confirmed = false;
    inflight = {};
    showTyping(false);
    setStatus(everConnected ? T.reconnecting : T.connecting);
  }

  // ---- opening, closing, starting over ----
  function open(focus) {
    if (!ui) {
      ui = buildPanel(shell);
      renderAll();
    }
    ui.panel.hidden = false;
    shell.root.classList.add("cw-open");
    shell.launcher.setAttribute("aria-expanded", "true");
    save("open", true);
    if (!transcript.length && !load("outbox", []).length) greet();
    connect();
    if (socket && !confirmed) setStatus(everConnected ? T.reconnecting : T.connecting);
    scrollDown();
    if (focus) ui.input.focus();
  }

  function closePanel(focusLauncher) {
    if (!ui) return;
    ui.panel.hidden = true;
    shell.root.classList.remove("cw-open");
    shell.launcher.setAttribute("aria-expanded", "false");
    save("open", false);
    if (focusLauncher) shell.launcher.focus();
  }

  function greet() {
    append({ id: newId(), who: "note", text: T.privacy, url: privacyUrl });
    send_("/greet", null, false);
  }

  function restartChat() {
    if (!window.confirm(T.restart_confirm)) return;
    ["log", "outbox", "session", "writer"].forEach(forget);
    transcript = [];
    outbox = [];
    inflight = {};
    sessionId = newId();
    save("session", sessionId);
    confirmed = false;
    if (socket) { socket.disconnect(); socket = null; }
    renderAll();
    greet();
    ui.input.focus();
  }

  // Another tab of the site changed the conversation: show it here too.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY + "log") { transcript = load("log", []); renderAll(); }
    if (event.key === KEY + "session") { sessionId = load("session", sessionId); }
  });

  function configure() {
    return fetch(apiUrl + "/api/widget/config").then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (config) {
      Object.keys(config.texts || {}).forEach(function (name) { T[name] = config.texts[name]; });
      if (clinicName && !(config.texts || {}).title) T.title = clinicName;
      faqTopics = config.faq_topics || [];
      privacyUrl = config.privacy_url || null;
      save("faq_topics", faqTopics);
      save("privacy_url", privacyUrl);
      relabel();
      renderAll();
    }).catch(function () { /* the built-in words will do */ });
  }

  var shell;
  function start() {
    var css = el("link", { rel: "stylesheet", href: staticBase + "widget.css" });
    css.onload = css.onerror = function () {
      shell = buildLauncher();
      configure().then(function () {
        if (load("open", false)) open(false);
        else if (load("outbox", []).length) connect(); // something typed offline on another page
      });
    };
    document.head.appendChild(css);
    document.addEventListener("click", function (event) {
      var opener = event.target.closest && event.target.closest("[data-clinic-chat-open]");
      if (opener && shell) { event.preventDefault(); open(true); }
    });
  }

  window.ClinicChat = { open: function () { if (shell) open(true); }, close: function () { closePanel(false); } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
