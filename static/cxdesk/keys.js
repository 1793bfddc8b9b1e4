// Keyboard shortcuts of the workspace; "?" lists them (templates/cases/_shortcuts.html).
//   queue: j / k  next / previous row (focus on its case link, so Enter opens it)
//   case:  ] / [  next / previous case of the queue (the page's rel=next/prev links)
//          r reply, n internal note (focus in the composer), s reply and set solved (focus
//          only: Send still has to be pressed), a assign to me (focus on "Take it": Enter
//          confirms)
//   "/" (search) is search.js. No shortcut fires while typing in a field or with Ctrl, Alt
//   or Meta held, so the browser's and the screen reader's own keys keep working.
(function () {
  "use strict";
  var TEXT_INPUTS = /^(text|search|email|number|password|url|tel|date|datetime-local|month|time|week)$/;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "input") return TEXT_INPUTS.test((target.type || "text").toLowerCase());
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function say(text) {
    var status = document.getElementById("cx-shortcut-status");
    if (!status) return;
    status.textContent = text;
    window.clearTimeout(say.timer);
    say.timer = window.setTimeout(function () { status.textContent = ""; }, 4000);
  }

  // --- queue: j / k ----------------------------------------------------------------------
  function rows() {
    return Array.prototype.filter.call(
      document.querySelectorAll("table.queue tbody tr"),
      function (row) { return row.querySelector("a[href]"); }
    );
  }

  function moveRow(step) {
    var list = rows();
    if (!list.length) return false;
    var current = list.findIndex(function (row) { return row.contains(document.activeElement); });
    var next = current === -1 ? (step > 0 ? 0 : list.length - 1)
                              : Math.min(Math.max(current + step, 0), list.length - 1);
    list.forEach(function (row) { row.classList.remove("is-current"); });
    list[next].classList.add("is-current");
    var link = list[next].querySelector("a[href]");
    link.focus();
    link.scrollIntoView({ block: "nearest" });
    return true;
  }

  // --- case page -------------------------------------------------------------------------
  function follow(id) {
    var link = document.getElementById(id);
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function compose(kind, thenStatus) {
    var composer = document.getElementById("composer");
    if (!composer) return false;
    var radio = composer.querySelector('input[name="kind"][value="' + kind + '"]');
    var body = composer.querySelector('textarea[name="body"]');
    if (!radio || !body) return false;
    radio.checked = true;
    var status = composer.querySelector('select[name="then_status"]');
    if (status) {
      status.value = thenStatus || "";
      if (thenStatus && status.value !== thenStatus) status.value = "";
    }
    if (thenStatus) {
      var send = composer.querySelector('.compose-actions button[type="submit"]');
      // An empty reply cannot be sent: write first, then Send. Otherwise Send has the focus.
      (body.value.trim() && send ? send : body).focus();
      say("Reply, then set solved: press Send to send it.");
    } else {
      body.focus();
      say(kind === "note" ? "Internal note: the customer does not see it." : "Public reply.");
    }
    composer.scrollIntoView({ block: "nearest" });
    return true;
  }

  function assignToMe() {
    var take = document.querySelector('#case-header button[name="take"]');
    if (!take) {
      if (!document.getElementById("case-header")) return false;
      say("This case is assigned to you already.");
      return true;
    }
    take.focus();
    say("Press Enter to take this case.");
    return true;
  }

  // --- "?" help --------------------------------------------------------------------------
  var returnFocus = null;

  function openHelp() {
    var dialog = document.getElementById("cx-shortcuts");
    if (!dialog || dialog.open) return false;
    returnFocus = document.activeElement;
    dialog.showModal();
    return true;
  }

  function wireHelp() {
    var dialog = document.getElementById("cx-shortcuts");
    if (!dialog) return;
    dialog.addEventListener("close", function () {
      if (returnFocus && document.contains(returnFocus) && returnFocus.focus) returnFocus.focus();
      returnFocus = null;
    });
    dialog.addEventListener("click", function (event) {  // a click on the backdrop closes it
      if (event.target === dialog) dialog.close();
    });
  }

  var KEYS = {
    j: function () { return moveRow(1); },
    k: function () { return moveRow(-1); },
    "]": function () { return follow("case-next"); },
    "[": function () { return follow("case-prev"); },
    r: function () { return compose("reply"); },
    n: function () { return compose("note"); },
    s: function () { return compose("reply", "solved"); },
    a: assignToMe,
    "?": openHelp
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target)) return;
    var dialog = document.getElementById("cx-shortcuts");
    if (dialog && dialog.open) return;  // the dialog has the keyboard; Escape is the browser's
    var action = Object.prototype.hasOwnProperty.call(KEYS, event.key) && KEYS[event.key];
    if (action && action()) event.preventDefault();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wireHelp);
  else wireHelp();
})();
