// The GOV.UK error summary pattern: when a form comes back with errors, move the focus to the
// summary, so a screen reader announces it and a keyboard user starts from it. Its links then
// move the focus to the field with the error.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
