// 下达目标任务数: keep the children's total against the parent's target as the user types.
(function () {
  const total = document.querySelector("[data-testid='targets-total']");
  if (!total) return;
  const inputs = document.querySelectorAll("[data-target-input]");
  const parent = total.dataset.parentTarget === "" ? null : Number(total.dataset.parentTarget);
  const shown = total.querySelector("[data-total]");
  const note = total.querySelector("[data-over-note]");
  function update() {
    let sum = 0;
    inputs.forEach((input) => { sum += Number(input.value) || 0; });
    shown.textContent = String(sum);
    const over = parent !== null && sum > parent;
    total.classList.toggle("text-danger", over);
    if (note) note.hidden = !over;
  }
  inputs.forEach((input) => input.addEventListener("input", update));
})();
