// C5 score forms: a live total of what was typed, how many items are filled, and a red
// border on a score outside 0..max (the server checks again and explains in Chinese).
(function () {
  function parse(text) {
    const value = String(text).trim();
    if (value === "") return null;
    if (!/^-?\d+(\.\d+)?$/.test(value)) return NaN;
    return Number(value);
  }
  function refresh(form) {
    let total = 0;
    let filled = 0;
    form.querySelectorAll("input.score-input").forEach(function (input) {
      const value = parse(input.value);
      const max = Number(input.dataset.max);
      const sign = Number(input.dataset.sign || "1");
      const bad = value !== null && (Number.isNaN(value) || value < 0 || value > max);
      input.classList.toggle("is-invalid", bad || input.dataset.serverError === "1");
      if (value !== null && !bad) {
        total += sign * value;
        filled += 1;
      }
    });
    const out = form.querySelector("[data-total]");
    if (out) out.textContent = (Math.round(total * 100) / 100).toString();
    const count = form.querySelector("[data-filled]");
    if (count) count.textContent = String(filled);
  }
  document.addEventListener("input", function (event) {
    const input = event.target.closest("input.score-input");
    if (!input) return;
    input.dataset.serverError = "0";
    refresh(input.closest("form"));
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.score-form").forEach(refresh);
  });
})();
