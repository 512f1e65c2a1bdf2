// Mounts Stripe's Payment Element on #payment-element and confirms the
// PaymentIntent the server started; Stripe then sends the browser back to
// the order, which shows paid once the payment is confirmed.
(function () {
  "use strict";

  var mount = document.getElementById("payment-element");
  var form = document.getElementById("payment-form");
  var message = document.getElementById("payment-message");
  if (!mount || !form || typeof window.Stripe !== "function") {
    return;
  }
  var stripe = window.Stripe(mount.getAttribute("data-publishable-key"));
  var elements = stripe.elements({ clientSecret: mount.getAttribute("data-client-secret") });
  elements.create("payment").mount(mount);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: new URL(mount.getAttribute("data-return-url"), window.location.href).href }
    }).then(function (result) {
      if (result.error) {
        message.textContent = result.error.message;
        message.hidden = false;
        button.disabled = false;
      }
    });
  });
})();
