// Tells the server the browser's time zone, so that pages show event
// times in it: a cookie the next request carries and, on each form that
// reads dates or a start time, its hidden zone field and the note naming
// the zone. A form already holding a start time keeps the zone it was
// written in, or saving it would move the event. Without this script
// the server uses UTC, and the pages say so.
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
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax" +
    (location.protocol === "https:" ? "; secure" : "");

  function holdsStart(el) {
    var form = el.closest("form");
    if (!form) {
      return false;
    }
    return Array.prototype.some.call(form.querySelectorAll("input[type=datetime-local]"), function (input) {
      return input.value !== "";
    });
  }

  document.querySelectorAll("[data-zone-input]").forEach(function (el) {
    if (!holdsStart(el)) {
      el.value = zone;
    }
  });
  document.querySelectorAll("[data-zone-name]").forEach(function (el) {
    if (!holdsStart(el)) {
      el.textContent = zone;
    }
  });
})();
