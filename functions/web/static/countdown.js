// Counts down each [data-countdown] element, once a second, from the
// seconds the server computed (data-seconds-left), so the time shown does
// not depend on the browser's clock. When it reaches zero the order can no
// longer be paid: its forms are disabled, and it shows as expired.
(function () {
  "use strict";

  function format(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function expire(el) {
    var order = el.closest("[data-order-id]");
    var scope = order ? order.parentNode : document;
    scope.querySelectorAll("[data-pay-form] button, [data-cancel-form] button").forEach(function (b) {
      b.disabled = true;
    });
    var badge = order && order.querySelector("[data-status]");
    if (badge) {
      badge.className = "badge expired";
      badge.setAttribute("data-status", "expired");
      badge.textContent = "Expired";
    }
    var note = scope.querySelector("[data-expired-note]");
    if (note) {
      note.hidden = false;
    }
  }

  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var left = Number(el.getAttribute("data-seconds-left"));
    if (!isFinite(left)) {
      return;
    }
    var end = performance.now() + left * 1000;
    var timer = setInterval(function () {
      var seconds = Math.max(0, Math.ceil((end - performance.now()) / 1000));
      el.textContent = format(seconds);
      if (seconds === 0) {
        clearInterval(timer);
        expire(el);
      }
    }, 1000);
  });
})();
