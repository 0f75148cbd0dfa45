// 名单比对: a "select all" box over a group's checkboxes, and a question before a
// membership event is recorded for the chosen members.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.hasAttribute || !box.hasAttribute("data-check-all")) return;
    var form = box.closest("form");
    if (!form) return;
    form.querySelectorAll("input[type=checkbox][name=entry]").forEach(function (item) {
      item.checked = box.checked;
    });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm-button]") : null;
    if (!button) return;
    var form = button.closest("form");
    var chosen = form ? form.querySelectorAll("input[name=entry]:checked").length : 0;
    if (!window.confirm(button.getAttribute("data-confirm-button") + "（" + chosen + " 人）")) {
      event.preventDefault();
    }
  });
})();
