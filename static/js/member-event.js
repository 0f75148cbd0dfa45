// The membership event form: the receiving union is asked only for a transfer out.
(function () {
  "use strict";
  var kind = document.getElementById("id_kind"), row = document.getElementById("to-union-row");
  if (!kind || !row) return;
  function sync() { row.style.display = kind.value === "transfer_out" ? "" : "none"; }
  kind.addEventListener("change", sync);
  sync();
})();
