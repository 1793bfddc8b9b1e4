// The chat console's few lines htmx cannot do (templates/chat/console/): a short sound and a
// flash of the header's badge when a new chat waits, a mute toggle remembered in
// localStorage, and Enter to send in a live chat's box. No inline script: the CSP forbids it.
//
// The badge (#chat-badge) is refilled by htmx every 5 s with data-newest, the id of the newest
// waiting chat. A higher id than any this browser announced before is a new chat; the first
// poll of a browser only records it. Browsers play sound only once the user has interacted
// with the page, so before that the badge flashes without sound.
(function () {
  "use strict";
  var MUTED = "cxdesk-chat-muted";
  var ANNOUNCED = "cxdesk-chat-announced";
  var interacted = false;

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: forget */ }
  }
  function muted() { return stored(MUTED) === "1"; }

  function showToggle() {
    var toggle = document.getElementById("chat-sound-toggle");
    if (!toggle) return;
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", muted() ? "false" : "true");
    toggle.textContent = muted() ? "Sound off" : "Sound on";
    toggle.title = muted() ? "New chats make no sound: click to hear them" : "New chats play a sound: click to mute";
  }

  function play() {
    var toggle = document.getElementById("chat-sound-toggle");
    if (!toggle || muted() || !interacted) return false;
    // data-chat-sound on <html> says what became of the last sound (the browser tests read it).
    var root = document.documentElement;
    try {
      var playing = new Audio(toggle.getAttribute("data-sound")).play();
      root.setAttribute("data-chat-sound", "playing");
      if (playing && playing.then) {
        playing.then(function () { root.setAttribute("data-chat-sound", "played"); },
                     function (e) { root.setAttribute("data-chat-sound", "refused: " + e.name); });
      }
    } catch (e) { return false; }
    return true;
  }

  function flash() {
    var link = document.getElementById("chats-link");
    if (!link) return;
    link.classList.remove("chat-flash");
    void link.offsetWidth; // restart the animation
    link.classList.add("chat-flash");
    window.setTimeout(function () { link.classList.remove("chat-flash"); }, 3000);
  }

  function badgeUpdated() {
    var state = document.querySelector("#chat-badge [data-newest]");
    if (!state) return;
    var newest = parseInt(state.getAttribute("data-newest"), 10) || 0;
    var seen = stored(ANNOUNCED);
    if (seen !== null && newest > (parseInt(seen, 10) || 0)) {
      flash();
      play();
    }
    if (seen === null || newest > (parseInt(seen, 10) || 0)) store(ANNOUNCED, String(newest));
  }

  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () { interacted = true; }, { capture: true, passive: true });
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("#chat-sound-toggle");
    if (!toggle) return;
    store(MUTED, muted() ? "0" : "1");
    showToggle();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "chat-badge") badgeUpdated();
  });

  // In a live chat's box, Enter sends and Shift+Enter starts a new line (as in the widget).
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || !box.matches || !box.matches("textarea.chat-input")) return;
    if (!box.value.trim()) return;
    event.preventDefault();
    if (box.form && box.form.requestSubmit) box.form.requestSubmit();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showToggle);
  } else {
    showToggle();
  }
})();
