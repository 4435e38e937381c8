/* Small progressive enhancements; every page works without them. No inline scripts (CSP). */
(function () {
  "use strict";

  // <form data-confirm="Remove this link?"> asks before it submits.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  // Close the phone menu with Escape.
  document.addEventListener("keydown", function (event) {
    var toggle = document.getElementById("nav-toggle");
    if (event.key === "Escape" && toggle && toggle.checked) {
      toggle.checked = false;
    }
  });

  // A file input names the chosen file next to it (the native label is cut short on phones).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.dataset.showName) return;
    var target = document.getElementById(input.dataset.showName);
    if (target) target.textContent = input.files.length ? input.files[0].name : "";
  });
})();
