/*
 * cxdesk chat widget — plain JavaScript, no dependencies, no third-party requests.
 *
 * Embed with one line (the key is the widget's public key, shown in cxdesk's admin):
 *
 *   <script src="https://<cxdesk>/static/chat/widget.js" data-widget-key="cw_…" async></script>
 *
 * It talks only to the cxdesk origin it was loaded from (/channels/chat/…): starts a chat,
 * sends the visitor's messages, polls for agents' replies, ends the chat. The chat's token
 * lives in sessionStorage (this tab, until it closes); a random visitor id in localStorage
 * lets cxdesk recognise a returning visitor (data-remember-visitor="false" turns that off).
 * Everything is drawn in a shadow root with its own stylesheet (widget.css beside this file),
 * and every text from the network is inserted as text, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-widget-key]");
  if (!script || !script.getAttribute("data-widget-key")) {
    return;
  }
  var WIDGET_KEY = script.getAttribute("data-widget-key");
  var BASE = new URL(script.src, window.location.href);
  var API = BASE.origin + "/channels/chat/";
  var CSS_URL = new URL("widget.css", BASE).href;
  var STORE_KEY = "cxdesk-chat:" + WIDGET_KEY;
  var VISITOR_KEY = "cxdesk-chat-visitor";
  var REMEMBER_VISITOR = script.getAttribute("data-remember-visitor") !== "false";
  var HIDDEN_POLL_MS = 15000;
  var MAX_BACKOFF_MS = 30000;

  var state = load(window.sessionStorage, STORE_KEY) || {};
  var seen = {};
  var pollTimer = null;
  var failures = 0;
  var ui = {};

  // --- storage --------------------------------------------------------------------------------
  function load(storage, key) {
    try {
      return JSON.parse(storage.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }
  function save() {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) { /* storage full or disabled: the chat still works in this page */ }
  }
  function forget() {
    state = {};
    try {
      window.sessionStorage.removeItem(STORE_KEY);
    } catch (e) { /* ignore */ }
  }
  function visitorId() {
    if (!REMEMBER_VISITOR) return "";
    try {
      return window.localStorage.getItem(VISITOR_KEY) || "";
    } catch (e) {
      return "";
    }
  }
  function rememberVisitor(id) {
    if (!REMEMBER_VISITOR || !id) return;
    try {
      window.localStorage.setItem(VISITOR_KEY, id);
    } catch (e) { /* ignore */ }
  }

  // --- network --------------------------------------------------------------------------------
  function request(method, path, body) {
    var headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers["X-Chat-Token"] = state.token;
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) { /* not JSON: treated as an error below */ }
        return {
          ok: response.ok,
          status: response.status,
          data: data,
          retryAfter: parseInt(response.headers.get("Retry-After") || "0", 10) || 0,
        };
      });
    });
  }
  function errorMessage(result) {
    var error = result && result.data && result.data.error;
    if (error && error.fields) {
      var first = Object.keys(error.fields)[0];
      return first + ": " + error.fields[first][0];
    }
    return (error && error.message) || "Something went wrong. Please try again.";
  }

  // --- drawing --------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function build(widgetName) {
    var host = el("div", { id: "cxdesk-chat" });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var link = el("link", { rel: "stylesheet", href: CSS_URL });
    root.appendChild(link);

    ui.launcher = el("button", { class: "cx-launcher", type: "button", "aria-expanded": "false",
                                 text: "Chat with us" });
    ui.title = el("span", { class: "cx-title", text: widgetName || "Chat" });
    ui.endButton = el("button", { class: "cx-end", type: "button", text: "End chat" });
    ui.closeButton = el("button", { class: "cx-close", type: "button", "aria-label": "Minimise",
                                    text: "\u2212" });
    ui.log = el("div", { class: "cx-log", role: "log", "aria-live": "polite" });
    ui.info = el("p", { class: "cx-info" });

    ui.name = el("input", { class: "cx-name", name: "name", autocomplete: "name",
                            maxlength: "200", placeholder: "Your name (optional)" });
    ui.email = el("input", { class: "cx-email", name: "email", type: "email",
                             autocomplete: "email", maxlength: "320",
                             placeholder: "Email (optional)" });
    ui.first = el("textarea", { class: "cx-input", name: "message", rows: "3", maxlength: "5000",
                                required: "required", placeholder: "How can we help?" });
    ui.startButton = el("button", { class: "cx-send", type: "submit", text: "Start chat" });
    ui.startForm = el("form", { class: "cx-start" },
                      [ui.name, ui.email, ui.first, ui.startButton]);

    ui.text = el("textarea", { class: "cx-input", name: "text", rows: "2", maxlength: "5000",
                               placeholder: "Type a message…", "aria-label": "Message" });
    ui.sendButton = el("button", { class: "cx-send", type: "submit", text: "Send" });
    ui.composeForm = el("form", { class: "cx-compose" }, [ui.text, ui.sendButton]);

    ui.newButton = el("button", { class: "cx-new", type: "button", text: "Start a new chat" });
    ui.ended = el("div", { class: "cx-ended" }, [el("span", { text: "This chat has ended." }),
                                                 ui.newButton]);
    ui.endedSurvey = el("div", { class: "cx-ended-survey" });
    ui.endedSurvey.hidden = true;
    ui.status = el("p", { class: "cx-status", "aria-live": "assertive" });

    ui.panel = el("section", { class: "cx-panel", role: "dialog", "aria-label": "Chat" }, [
      el("header", { class: "cx-header" }, [ui.title, ui.endButton, ui.closeButton]),
      ui.log, ui.info, ui.startForm, ui.composeForm, ui.ended, ui.endedSurvey, ui.status,
    ]);
    ui.panel.hidden = true;
    var frame = el("div", { class: "cx-root" }, [ui.panel, ui.launcher]);
    frame.hidden = true; // shown once the stylesheet has loaded: no unstyled flash
    root.appendChild(frame);
    link.addEventListener("load", function () { frame.hidden = false; });
    link.addEventListener("error", function () { frame.hidden = false; });

    ui.launcher.addEventListener("click", function () { setOpen(ui.panel.hidden); });
    ui.closeButton.addEventListener("click", function () { setOpen(false); });
    ui.endButton.addEventListener("click", endChat);
    ui.newButton.addEventListener("click", function () { forget(); resetLog(); showMode(); });
    ui.startForm.addEventListener("submit", function (event) { event.preventDefault(); startChat(); });
    ui.composeForm.addEventListener("submit", function (event) { event.preventDefault(); sendMessage(); });
    [ui.first, ui.text].forEach(function (box) {
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          box.form.requestSubmit ? box.form.requestSubmit() : box.form.dispatchEvent(
            new Event("submit", { cancelable: true }));
        }
      });
    });
    document.body.appendChild(host);
  }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    ui.launcher.textContent = open ? "Close chat" : "Chat with us";
    if (open) (state.token ? ui.text : ui.first).focus();
  }

  function showMode() {
    var active = Boolean(state.token) && state.status === "active";
    var ended = Boolean(state.token) && state.status === "ended";
    ui.startForm.hidden = Boolean(state.token);
    ui.composeForm.hidden = !active;
    ui.endButton.hidden = !active;
    ui.ended.hidden = !ended;
    // The chat is over and its case was solved with a survey: ask for the rating here too.
    ui.endedSurvey.textContent = "";
    ui.endedSurvey.hidden = !(ended && state.survey);
    if (ended && state.survey) ui.endedSurvey.appendChild(surveyPrompt(state.survey));
    ui.info.textContent = state.caseRef
      ? "Your reference: " + state.caseRef + (active ? ". An agent will reply here." : ".")
      : "";
    ui.info.hidden = !state.caseRef;
  }

  function setStatus(text) {
    ui.status.textContent = text || "";
  }

  function resetLog() {
    ui.log.textContent = "";
    seen = {};
    setStatus("");
  }

  // A satisfaction survey's prompt: links to its page (opened in a new tab; the rating chosen
  // is only preselected there — the visitor confirms it on the page, scanners record nothing).
  function surveyPrompt(survey) {
    var choices = survey.good_url
      ? [el("a", { class: "cx-rate cx-rate-good", href: survey.good_url, target: "_blank",
                   rel: "noopener", text: "Good" }),
         el("a", { class: "cx-rate cx-rate-bad", href: survey.bad_url, target: "_blank",
                   rel: "noopener", text: "Bad" })]
      : [el("a", { class: "cx-rate", href: survey.url, target: "_blank", rel: "noopener",
                   text: "Rate this chat" })];
    return el("div", { class: "cx-survey", role: "group", "aria-label": "Rate this chat" }, [
      el("span", { class: "cx-survey-q", text: "How did we do?" }),
      el("span", { class: "cx-survey-choices" }, choices),
      el("a", { class: "cx-survey-optout", href: survey.opt_out_url, target: "_blank",
                rel: "noopener", text: "No more surveys" }),
    ]);
  }

  function addMessage(message) {
    if (seen[message.id]) return;
    seen[message.id] = true;
    var from = message.sender === "customer" ? "customer" : "agent";
    var when = new Date(message.at);
    var label = from === "customer" ? "You" : (message.author || "Agent");
    if (message.survey) {
      state.survey = message.survey;
      save();
      ui.log.appendChild(surveyPrompt(message.survey));
      ui.log.scrollTop = ui.log.scrollHeight;
      showMode();
      return;
    }
    ui.log.appendChild(el("div", { class: "cx-msg cx-from-" + from, "data-id": String(message.id) }, [
      el("span", { class: "cx-author", text: label + " · " +
        when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }),
      el("span", { class: "cx-text", text: message.text }),
    ]));
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function applySession(session) {
    state.status = session.status;
    state.caseRef = session.case;
    save();
    showMode();
    if (session.status !== "active") stopPolling();
  }

  // --- actions --------------------------------------------------------------------------------
  function startChat() {
    var message = ui.first.value.trim();
    if (!message) return;
    ui.startButton.disabled = true;
    setStatus("Starting your chat…");
    request("POST", "widgets/" + encodeURIComponent(WIDGET_KEY) + "/sessions/", {
      message: message,
      name: ui.name.value.trim(),
      email: ui.email.value.trim(),
      visitor_id: visitorId(),
    }).then(function (result) {
      if (result.status === 400 && result.data && result.data.error &&
          result.data.error.fields && result.data.error.fields.visitor_id) {
        // A visitor id this server does not accept: forget it; the next try goes without.
        try { window.localStorage.removeItem(VISITOR_KEY); } catch (e) { /* ignore */ }
      }
      if (!result.ok) {
        setStatus(errorMessage(result));
        return;
      }
      var data = result.data;
      state = { token: data.token, sessionId: data.session.id, lastId: 0 };
      rememberVisitor(data.visitor_id);
      ui.first.value = "";
      setStatus("");
      data.messages.forEach(function (message) {
        addMessage(message);
        state.lastId = Math.max(state.lastId, message.id);
      });
      var claim = data.email_claim;
      if (claim && !claim.verified && claim.confirmation_mailed) {
        // The address is a claim until its owner confirms it from that mailbox.
        ui.log.appendChild(el("div", { class: "cx-note", text: "We are sending " + claim.email +
          " a link: open it to link this chat to your email address." }));
      }
      applySession(data.session);
      ui.text.focus();
      schedulePoll(data.poll_after_ms);
    }).catch(function () {
      setStatus("Could not reach the chat service. Please try again.");
    }).then(function () {
      ui.startButton.disabled = false;
    });
  }

  function sendMessage() {
    var text = ui.text.value.trim();
    if (!text || !state.token) return;
    ui.sendButton.disabled = true;
    request("POST", "sessions/" + state.sessionId + "/messages/", { text: text })
      .then(function (result) {
        if (result.ok) {
          ui.text.value = "";
          setStatus("");
          addMessage(result.data);
        } else if (result.status === 409) {
          state.status = "ended";
          save();
          showMode();
          setStatus(errorMessage(result));
        } else {
          handleSessionError(result);
        }
      })
      .catch(function () { setStatus("Not sent: no connection. Please try again."); })
      .then(function () { ui.sendButton.disabled = false; ui.text.focus(); });
  }

  function endChat() {
    if (!state.token) return;
    ui.endButton.disabled = true;
    request("POST", "sessions/" + state.sessionId + "/end/", {})
      .then(function (result) {
        if (result.ok) {
          pollNow(); // collect a last reply, if any, before the window goes quiet
          applySession(result.data.session);
        } else {
          handleSessionError(result);
        }
      })
      .catch(function () { setStatus("Could not end the chat: no connection."); })
      .then(function () { ui.endButton.disabled = false; });
  }

  function handleSessionError(result) {
    if (result.status === 401 || result.status === 403 || result.status === 404) {
      // The chat cannot be continued from here (expired token, widget moved): start afresh.
      stopPolling();
      forget();
      showMode();
    }
    setStatus(errorMessage(result));
  }

  // --- polling --------------------------------------------------------------------------------
  function stopPolling() {
    if (pollTimer) window.clearTimeout(pollTimer);
    pollTimer = null;
  }

  function schedulePoll(delay) {
    stopPolling();
    if (!state.token || state.status !== "active") return;
    var wait = document.hidden ? Math.max(delay || 0, HIDDEN_POLL_MS) : (delay || 3000);
    pollTimer = window.setTimeout(poll, wait);
  }

  function pollNow() {
    if (state.token) poll({ once: true });
  }

  function poll(options) {
    var once = options && options.once;
    if (!state.token) return;
    var after = state.lastId || 0;
    request("GET", "sessions/" + state.sessionId + "/messages/?after=" + after)
      .then(function (result) {
        if (!result.ok) {
          if (result.status === 429) {
            if (!once) schedulePoll(Math.max(result.retryAfter * 1000, 5000));
            return;
          }
          if (result.status >= 500) throw new Error("server error");
          handleSessionError(result);
          return;
        }
        failures = 0;
        setStatus("");
        var data = result.data;
        data.messages.forEach(function (message) {
          addMessage(message);
          state.lastId = Math.max(state.lastId || 0, message.id);
        });
        save();
        applySession(data.session);
        if (!once) schedulePoll(data.has_more ? 1 : data.poll_after_ms);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 3) setStatus("Connection lost; retrying…");
        if (!once) schedulePoll(Math.min(3000 * Math.pow(2, failures), MAX_BACKOFF_MS));
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && pollTimer) schedulePoll(1);
  });

  // --- start ----------------------------------------------------------------------------------
  function init() {
    request("GET", "widgets/" + encodeURIComponent(WIDGET_KEY) + "/")
      .then(function (result) {
        if (!result.ok) {
          if (window.console) console.warn("cxdesk chat:", errorMessage(result));
          return;
        }
        if (!result.data.accepting_chats && !state.token) return;
        build(result.data.name);
        showMode();
        if (state.token) {
          setOpen(true);
          state.lastId = 0; // draw the whole transcript again in this new page
          schedulePoll(1);
        }
      })
      .catch(function () {
        if (window.console) console.warn("cxdesk chat: the chat service cannot be reached");
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
