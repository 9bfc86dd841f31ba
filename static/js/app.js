// dangjian: small behaviours without inline scripts (CSP-friendly).
document.addEventListener("click", function (event) {
  const toggle = event.target.closest(".tree .toggle");
  if (!toggle) return;
  const li = toggle.closest("li");
  const sub = li.querySelector(":scope > ul");
  if (sub && sub.dataset.loaded === "1") {
    sub.hidden = !sub.hidden;
    toggle.textContent = sub.hidden ? "▸" : "▾";
    toggle.setAttribute("aria-expanded", String(!sub.hidden));
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  const ul = event.detail.target;
  if (ul.matches && ul.matches(".tree ul")) {
    ul.dataset.loaded = "1";
    const toggle = ul.closest("li").querySelector(":scope > .toggle");
    toggle.textContent = "▾";
    toggle.setAttribute("aria-expanded", "true");
    toggle.removeAttribute("hx-get");
  }
});
document.addEventListener("htmx:configRequest", function (event) {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
