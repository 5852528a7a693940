// Tell the server the browser's time zone, so that visitors who are not logged
// in see dates in their own time; and pre-select it in time zone fields that
// are still on the default.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) {
    return;
  }
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
  document.addEventListener("DOMContentLoaded", function () {
    // A form that came back with errors: take keyboard and screen reader
    // users straight to the list of what needs fixing.
    var summary = document.getElementById("form-errors");
    if (summary) {
      summary.focus();
    }
    document.querySelectorAll("select[data-detect-time-zone]").forEach(function (select) {
      if (select.value === "UTC" && select.querySelector('option[value="' + zone + '"]')) {
        select.value = zone;
      }
    });
  });
})();
