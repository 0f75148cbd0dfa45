// Click a <th data-sort="num|text"> of a table[data-sortable] to sort its rows; again to reverse.
document.querySelectorAll("table[data-sortable]").forEach((table) => {
  const headers = table.querySelectorAll("th[data-sort]");
  headers.forEach((th, column) => {
    th.style.cursor = "pointer";
    th.setAttribute("role", "button");
    th.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const numeric = th.dataset.sort === "num";
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const key = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent;
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        const order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, "zh-Hans-CN");
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
