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
// Meeting roll call: show 实到 as boxes are ticked; a ticked member needs no leave reason.
function updateRollCall() {
  const form = document.querySelector(".meeting-form");
  if (!form) return;
  const present = form.querySelectorAll(".present-box:checked").length;
  const out = form.querySelector("[data-count=present]");
  if (out) out.textContent = String(present);
  form.querySelectorAll(".roll-call .list-group-item").forEach(function (row) {
    const box = row.querySelector(".present-box");
    const reason = row.querySelector(".reason");
    if (box && reason) reason.hidden = box.checked;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.matches(".present-box")) updateRollCall();
});
document.addEventListener("DOMContentLoaded", updateRollCall);
// Dues: copy every 应交 into an empty 实交.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-fill-paid]");
  if (!button) return;
  button.closest("form").querySelectorAll("input[name^=due_]").forEach(function (due) {
    const paid = due.closest("tr").querySelector("input[name^=paid_]");
    if (paid && !paid.value) paid.value = due.value;
  });
});
// Forms that need a confirmation before they post.
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form.confirm");
  if (form && !window.confirm(form.dataset.confirm || "确定吗？")) event.preventDefault();
});
// Organization pickers (orgs.picker): as a name or code is typed, the matching organizations
// in scope fill the input's list; choosing one puts its code in the input.
let orgPickerTimer;
document.addEventListener("input", function (event) {
  const input = event.target.closest("input[data-org-picker]");
  if (!input) return;
  clearTimeout(orgPickerTimer);
  orgPickerTimer = setTimeout(function () {
    const text = input.value.trim();
    const list = document.getElementById(input.getAttribute("list"));
    if (!text || !list) return;
    const url = new URL(input.dataset.orgPicker, window.location.href);
    url.searchParams.set("q", text);
    htmx.ajax("GET", url.pathname + url.search, { target: list, swap: "innerHTML" });
  }, 250);
});
// File inputs: the browser's own button reads in the browser's language ("Choose File" in an
// English one); the input is laid, invisible, over a button and a line in Chinese, so a click
// anywhere on them, a drop, the keyboard and the browser's "please choose a file" still work.
function fileChoiceText(input) {
  const files = input.files;
  if (!files || !files.length) return "未选择文件";
  return files.length === 1 ? files[0].name : "已选择 " + files.length + " 个文件";
}
function enhanceFileInputs(root) {
  root.querySelectorAll("input[type=file].form-control:not([data-file-picker])").forEach(function (input) {
    input.dataset.filePicker = "1";
    const box = document.createElement("div");
    box.className = "file-picker form-control";
    const button = document.createElement("span");
    button.className = "file-picker-button";
    button.setAttribute("aria-hidden", "true");
    button.textContent = input.multiple ? "选择文件（可多选）" : "选择文件";
    const name = document.createElement("span");
    name.className = "file-picker-name";
    name.setAttribute("aria-hidden", "true");
    name.textContent = fileChoiceText(input);
    input.parentNode.insertBefore(box, input);
    box.append(button, name, input);
    input.classList.remove("form-control");
    input.addEventListener("change", function () {
      name.textContent = fileChoiceText(input);
      box.classList.toggle("chosen", Boolean(input.files && input.files.length));
    });
  });
}
document.addEventListener("DOMContentLoaded", function () {
  enhanceFileInputs(document);
});
