// Relative times: every <time data-when> the server rendered (the |when filter,
// apps/core/times.py) gets its text recomputed each minute, by the same rules, in the zone
// the page was rendered in (body[data-tz]). Without JavaScript the server's text stays.
//
// The agent's zone: while their profile has none, the page carries data-tz-report (a URL);
// the browser's zone is posted there once (apps/accounts/views.account_time_zone keeps it
// only if none is set yet) and the page's texts switch to it.
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function zone() {
    return document.body.getAttribute("data-tz") || undefined;
  }

  function local(date, tz) {
    var format;
    try {
      format = new Intl.DateTimeFormat("en-GB", {
        timeZone: tz, year: "numeric", month: "numeric", day: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      });
    } catch (e) {  // a zone this browser does not know: its own
      format = new Intl.DateTimeFormat("en-GB", {
        year: "numeric", month: "numeric", day: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      });
    }
    var p = {};
    format.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
    var hour = p.hour === "24" ? "00" : p.hour;
    return { y: +p.year, m: +p.month, d: +p.day, hm: hour + ":" + p.minute,
             day: Date.UTC(+p.year, +p.month - 1, +p.day) / 86400000 };
  }

  function dayText(t, today) {
    return t.d + " " + MONTHS[t.m - 1] + (t.y === today.y ? "" : " " + t.y);
  }

  function relative(date, now, mode, tz) {
    var t = local(date, tz), today = local(now, tz);
    var seconds = (now - date) / 1000, text, minutes;
    if (seconds >= 0) {
      minutes = Math.floor(seconds / 60);
      if (minutes < 1) text = "just now";
      else if (minutes < 60) text = minutes + " min ago";
      else if (t.day === today.day) text = Math.floor(minutes / 60) + " h ago";
      else if (t.day === today.day - 1) text = "yesterday " + t.hm;
      else text = dayText(t, today);
      return mode === "due" ? "breached " + text : text;
    }
    minutes = Math.max(1, Math.ceil(-seconds / 60));
    if (minutes < 60) text = "in " + minutes + " min";
    else if (t.day === today.day) {
      text = "in " + Math.floor(minutes / 60) + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
    } else if (t.day === today.day + 1) text = "tomorrow " + t.hm;
    else text = dayText(t, today) + " " + t.hm;
    return mode === "due" ? "due " + text : text;
  }

  function refresh(root) {
    var now = new Date(), tz = zone();
    (root || document).querySelectorAll("time[data-when]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      var text = relative(date, now, el.getAttribute("data-when"), tz);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function reportZone() {
    var url = document.body.getAttribute("data-tz-report");
    var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!url || !browserZone || window.sessionStorage.getItem("cx-tz-reported")) return;
    window.sessionStorage.setItem("cx-tz-reported", "1");  // once, even if refused
    var body = new URLSearchParams({ time_zone: browserZone });
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (response.status === 204) {
        document.body.setAttribute("data-tz", browserZone);
        document.body.removeAttribute("data-tz-report");
        refresh();
      }
    }).catch(function () {});
  }

  function start() {
    refresh();
    window.setInterval(refresh, 60 * 1000);
    reportZone();
  }

  window.cxdeskTimes = { relative: relative, refresh: refresh };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
