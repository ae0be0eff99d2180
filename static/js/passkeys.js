// After django-otp-webauthn registers a passkey, show the new list (or continue the enrolment).
document.addEventListener("otp_webauthn.register_complete", function () {
  var script = document.getElementById("passkeys-script");
  var next = script && script.getAttribute("data-continue");
  window.setTimeout(function () {
    if (next) {
      window.location.assign(next);
    } else {
      window.location.reload();
    }
  }, 800);
});
