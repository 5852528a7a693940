// Tables that scroll sideways on a phone must be reachable by keyboard
// (WCAG 2.1.1): make each one focusable, and named after its heading, so arrow
// keys scroll it. It stays a table for screen readers.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".inline-related.tabular table").forEach(function (table) {
      var heading = table.closest("fieldset") && table.closest("fieldset").querySelector("h2");
      table.setAttribute("tabindex", "0");
      table.setAttribute("aria-label", heading ? heading.textContent.trim() : "Table");
    });
  });
})();
