// The e-ticket's Print button, and, on a paid order's page while its
// e-ticket is being issued, fetching the page again until the e-ticket is
// there to show. Without JavaScript the browser's own Print command and
// the page's Refresh link do the same.
(function () {
  "use strict";

  var interval = 2000;
  var maxTries = 30;

  function enhance(scope) {
    scope.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  enhance(document);

  var pending = document.querySelector("[data-eticket-pending]");
  if (!pending) {
    return;
  }
  var note = pending.querySelector("[data-eticket-note]");
  var tries = 0;

  function again() {
    tries++;
    if (tries < maxTries) {
      setTimeout(poll, interval);
    }
  }

  function show(html) {
    var found = new DOMParser().parseFromString(html, "text/html").querySelector("[data-eticket]");
    if (!found) {
      return false;
    }
    var eticket = document.importNode(found, true);
    pending.parentNode.insertBefore(eticket, pending.nextSibling);
    enhance(eticket);
    // The note is a status region: changing it is announced.
    note.textContent = "Your e-ticket is ready.";
    return true;
  }

  function poll() {
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (resp) {
        return resp.ok ? resp.text() : "";
      })
      .then(function (html) {
        if (!show(html)) {
          again();
        }
      })
      .catch(again);
  }

  setTimeout(poll, interval);
})();
