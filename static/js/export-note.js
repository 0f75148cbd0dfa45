// The member list's export link: show the "preparing the file" note for a while,
// since the answer is a download and the page never changes by itself.
(function () {
  "use strict";
  var link = document.getElementById("export-link");
  var note = document.getElementById("export-progress");
  if (!link || !note) return;
  link.addEventListener("click", function () {
    note.classList.remove("d-none");
    setTimeout(function () { note.classList.add("d-none"); }, 15000);
  });
})();
