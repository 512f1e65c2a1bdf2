// Offers a Scan button on the check-in page where the browser can read QR
// symbols from a camera (BarcodeDetector and getUserMedia): it fills the
// code field with what it reads and sends the form. Elsewhere the button
// stays hidden and the code is typed or pasted.
(function () {
  "use strict";

  var scan = document.querySelector("[data-scan]");
  var panel = document.querySelector("[data-scanner]");
  var form = document.querySelector("[data-checkin-form]");
  if (!scan || !panel || !form || !("BarcodeDetector" in window) ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var input = form.querySelector("[name=code]");
  var status = form.querySelector("[data-scan-status]");
  var stopButton = panel.querySelector("[data-scan-stop]");
  var detector = null;
  var video = null;
  var stream = null;
  var timer = null;

  function say(text) {
    status.textContent = text;
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
    if (video) {
      video.srcObject = null;
      video.remove();
      video = null;
    }
    panel.hidden = true;
    scan.hidden = false;
  }

  function look() {
    if (!stream) {
      return;
    }
    detector.detect(video).then(function (codes) {
      var code = codes.length > 0 ? codes[0].rawValue : "";
      if (!code) {
        timer = setTimeout(look, 150);
        return;
      }
      stop();
      input.value = code;
      say("Code read. Checking it in…");
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }).catch(function () {
      timer = setTimeout(look, 300);
    });
  }

  function start() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video = document.createElement("video");
        video.muted = true;
        video.setAttribute("playsinline", "");
        video.setAttribute("aria-label", "Camera view for scanning");
        video.srcObject = s;
        panel.insertBefore(video, stopButton);
        panel.hidden = false;
        scan.hidden = true;
        say("Point the camera at the e-ticket's QR symbol.");
        stopButton.focus();
        return video.play();
      })
      .then(look)
      .catch(function () {
        stop();
        say("The camera could not be opened. Type or paste the code instead.");
      });
  }

  BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") < 0) {
      return;
    }
    detector = new BarcodeDetector({ formats: ["qr_code"] });
    scan.hidden = false;
    scan.addEventListener("click", start);
    stopButton.addEventListener("click", function () {
      stop();
      say("Scanning stopped.");
      scan.focus();
    });
  }).catch(function () {});
})();
