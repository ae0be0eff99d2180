// The GOV.UK error summary pattern: when a form comes back with errors, move the focus to the
// summary, so a screen reader announces it and a keyboard user starts from it. Its links then
// move the focus to the field with the error.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});

// The GOV.UK conditional reveal: a radio with data-aria-controls shows the block it names only
// while it is checked. Without JavaScript every block stays shown, so nothing is out of reach.
document.addEventListener("DOMContentLoaded", function () {
  var controls = document.querySelectorAll("input[type=radio][data-aria-controls]");
  if (!controls.length) {
    return;
  }
  function sync() {
    controls.forEach(function (radio) {
      var target = document.getElementById(radio.getAttribute("data-aria-controls"));
      if (target) {
        target.hidden = !radio.checked;
      }
    });
  }
  controls.forEach(function (radio) {
    radio.setAttribute("aria-controls", radio.getAttribute("data-aria-controls"));
    document.querySelectorAll('input[type=radio][name="' + radio.name + '"]').forEach(function (peer) {
      peer.addEventListener("change", sync);
    });
  });
  sync();
});
