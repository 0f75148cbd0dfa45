// The union picker (unions/picker.py), wherever a union is chosen: suggests unions as
// people type (unions:union_suggest, JSON) and puts the chosen union's id in the hidden
// field. Without JavaScript the typed name is resolved by the server, so forms still work.
(function () {
  "use strict";
  var DELAY_MS = 200;

  function setup(box) {
    var url = box.getAttribute("data-union-suggest");
    var input = box.querySelector("input[type=text]");
    var hidden = box.querySelector("input[type=hidden]");
    var list = box.querySelector("[role=listbox]");
    var timer = null;
    var active = -1;
    var lastQuery = null;

    function close() {
      list.classList.add("d-none");
      list.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function choose(item) {
      input.value = item.getAttribute("data-name");
      hidden.value = item.getAttribute("data-id");
      box.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = false; });
      close();
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (el, i) {
        el.classList.toggle("active", i === active);
        el.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      items[active].scrollIntoView({ block: "nearest" });
    }

    function show(results) {
      list.innerHTML = "";
      if (!results.length) {
        var none = document.createElement("div");
        none.className = "list-group-item small text-muted";
        none.textContent = "没有名称包含这些字（或编码以此开头）的工会";
        list.appendChild(none);
      }
      results.forEach(function (u) {
        var item = document.createElement("button");
        item.type = "button";
        item.className = "list-group-item list-group-item-action py-1";
        item.setAttribute("role", "option");
        item.setAttribute("data-id", u.id);
        item.setAttribute("data-name", u.name);
        item.textContent = u.name;
        if (u.parent || u.code) {
          var parent = document.createElement("div");
          parent.className = "small text-muted";
          parent.textContent = (u.parent ? "上级：" + u.parent + "　" : "") + (u.code ? "编码 " + u.code : "");
          item.appendChild(parent);
        }
        item.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
        list.appendChild(item);
      });
      list.classList.remove("d-none");
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function lookup() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      if (q === lastQuery) return;
      lastQuery = q;
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) { if (input.value.trim() === q) show(data.results); })
        .catch(function () { close(); });  // the server resolves the typed name anyway
    }

    input.addEventListener("input", function () {
      hidden.value = "";  // typed again: the earlier choice no longer holds
      lastQuery = null;
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, DELAY_MS);
    });
    input.addEventListener("keydown", function (e) {
      if (list.classList.contains("d-none")) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(list.querySelectorAll("[role=option]")[active]);
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    // Someone quick (or a slow phone) may have typed before this script ran: their
    // keystrokes fired no "input" event we heard, so look up what is already there.
    if (document.activeElement === input && input.value.trim() && !hidden.value) lookup();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-union-suggest]").forEach(setup);
  });
})();
