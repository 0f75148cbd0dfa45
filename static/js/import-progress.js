// Live progress of import jobs: polls the job's status URL and updates the bar;
// when the job leaves the running states the page reloads to show the result.
// The state lives on the server, so a reload (or coming back later) resumes here.
(function () {
  "use strict";
  var INTERVAL_MS = 1000;

  function render(box, s) {
    var bar = box.querySelector("[data-role=bar]");
    var label = box.querySelector("[data-role=label]");
    var rows = box.querySelector("[data-role=rows]");
    var progress = box.querySelector("[role=progressbar]");
    if (bar) {
      bar.style.width = s.percent + "%";
      if (box.id === "job-progress") bar.textContent = s.percent + "%";
    }
    if (progress) progress.setAttribute("aria-valuenow", String(s.percent));
    if (label) label.textContent = s.state_label + (s.stage_label ? " · " + s.stage_label : "");
    if (rows) rows.textContent = s.rows_total ? s.rows_done + " / " + s.rows_total + " 行" : "";
    box.querySelectorAll("[data-stage]").forEach(function (li) {
      var current = li.getAttribute("data-stage") === s.stage;
      li.classList.toggle("fw-bold", current);
      li.classList.toggle("text-dark", current);
    });
  }

  function watch(box, url) {
    var failures = 0;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        })
        .then(function (s) {
          failures = 0;
          render(box, s);
          if (s.running) {
            window.setTimeout(tick, INTERVAL_MS);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          failures += 1;  // a network hiccup: keep trying, more slowly
          window.setTimeout(tick, Math.min(30000, INTERVAL_MS * Math.pow(2, failures)));
        });
    }
    window.setTimeout(tick, INTERVAL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var single = document.getElementById("job-progress");
    if (single) watch(single, single.getAttribute("data-status-url"));
    document.querySelectorAll("[data-job-progress]").forEach(function (row) {
      watch(row, row.getAttribute("data-job-progress"));
    });
  });
})();
