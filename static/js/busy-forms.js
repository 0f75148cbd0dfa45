// Forms marked data-busy-text say that they are working once submitted (an upload
// of a large sheet can take a while) and cannot be sent twice by a second click.
// data-busy-reset="5" gives the button back after 5 s, for forms whose answer is a
// download and so never leaves the page.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form.getAttribute("data-busy-text");
    if (!text) return;
    var button = form.querySelector("button[type=submit]");
    if (!button || button.disabled) return;
    var label = button.textContent;
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = text;
    }, 0);
    var reset = parseInt(form.getAttribute("data-busy-reset") || "0", 10);
    if (reset > 0) {
      window.setTimeout(function () {
        button.disabled = false;
        button.textContent = label;
      }, reset * 1000);
    }
  });
})();
