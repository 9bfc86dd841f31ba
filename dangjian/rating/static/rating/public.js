// Public rating page (C8): sends the form as JSON and shows the answer in place; without this
// script the same form posts to the page itself. No inline script or style (strict CSP).
(function () {
  "use strict";
  var form = document.getElementById("rate-form");
  if (!form || !window.fetch || !window.JSON) return;
  var errorBox = document.getElementById("error");
  var submit = document.getElementById("submit");
  var lowHint = document.getElementById("low-hint");

  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return found ? found.slice(name.length + 1) : "";
  }
  function deviceToken() {
    var token = "";
    try { token = window.localStorage.getItem("dj-device") || ""; } catch (e) { token = ""; }
    if (!/^[A-Za-z0-9_\-.:]{8,64}$/.test(token)) {
      token = cookie("rd");
      if (!/^[A-Za-z0-9_\-.:]{8,64}$/.test(token)) {
        var bytes = new Uint8Array(16);
        (window.crypto || window.msCrypto).getRandomValues(bytes);
        token = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      }
      try { window.localStorage.setItem("dj-device", token); } catch (e) { /* private mode */ }
    }
    return token;
  }
  form.noValidate = true; // the script explains a missing choice in words of its own
  var device = deviceToken();
  document.getElementById("device").value = device;

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    errorBox.scrollIntoView({ behavior: "smooth", block: "center" });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "score") {
      var low = Number(event.target.value) <= 2;
      lowHint.hidden = !low;
      errorBox.hidden = true;
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = form.querySelector("input[name=score]:checked");
    if (!chosen) { showError("请先选择一个评价等级"); return; }
    var body = { target: form.dataset.target, score: Number(chosen.value), device: device };
    var comment = form.elements.comment.value.trim();
    var phone = form.elements.phone.value.trim();
    if (comment) body.comment = comment;
    if (phone) body.phone = phone;
    submit.disabled = true;
    submit.textContent = "正在提交…";
    errorBox.hidden = true;
    fetch(form.dataset.api, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      if (answer.status === 201) {
        form.hidden = true;
        var code = answer.data.tracking_code;
        document.getElementById("ticket").hidden = !code;
        document.getElementById("plain-thanks").hidden = !!code;
        if (code) {
          var shown = document.getElementById("tracking");
          shown.dataset.code = code;
          shown.textContent = code.length === 10 ? code.slice(0, 5) + "-" + code.slice(5) : code;
          document.getElementById("track-link").href = form.dataset.track + code;
        }
        document.getElementById("done").hidden = false;
        window.scrollTo(0, 0);
      } else {
        showError((answer.data && answer.data.detail) || "提交未成功，请稍后再试");
      }
    }).catch(function () {
      showError("网络不太稳定，提交未成功，请稍后再试");
    }).then(function () {
      submit.disabled = false;
      submit.textContent = "提交评价";
    });
  });
})();
