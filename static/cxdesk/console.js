// The supervisor console: the live monitor polls itself every few seconds (htmx), and a poll
// would replace the row the supervisor is changing. While a control inside the polled part
// has focus, a reassign form is open, or a choice differs from what was served, the poll is
// skipped; the next one after the change (or after focus leaves) brings the figures back.
(function () {
  "use strict";
  function editing(root) {
    if (root.querySelector("[data-editing]")) return true; // a reassign form is open
    if (root.contains(document.activeElement) && document.activeElement !== root) return true;
    return Array.prototype.some.call(root.querySelectorAll("select"), function (select) {
      return Array.prototype.some.call(select.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var root = event.target;
    if (!root.hasAttribute || !root.hasAttribute("data-poll-paused-when-editing")) return;
    if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") return;
    if (editing(root)) event.preventDefault();
  });
})();
