// The bureau's survey page: poll the live figures and update the counts in place.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) return;
  var url = box.getAttribute("data-live-url");
  var interval = parseInt(box.getAttribute("data-interval"), 10) || 5000;
  var last = null;
  function set(name, value) {
    var nodes = document.querySelectorAll('[data-live="' + name + '"]');
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = value;
  }
  function apply(data) {
    set("responses", data.responses);
    if (data.target !== null) set("target", data.target);
    Object.keys(data.by_group || {}).forEach(function (g) { set("group." + g, data.by_group[g]); });
    ["urban", "town", "rural"].forEach(function (a) { set("area." + a, (data.by_area || {})[a] || 0); });
    if (data.rate !== null) set("rate-text", (data.rate * 100).toFixed(1) + "%");
    var verdict = document.getElementById("live-verdict");
    var state = data.verdict === true ? "pass" : data.verdict === false ? "fail" : "none";
    if (verdict && verdict.getAttribute("data-verdict") !== state) {
      verdict.setAttribute("data-verdict", state);
      verdict.innerHTML = "";
      var light = document.createElement("span");
      light.className = "light " + (state === "pass" ? "ok" : state === "fail" ? "bad" : "muted");
      light.textContent = "\u25CF ";
      verdict.appendChild(light);
      verdict.appendChild(document.createTextNode(data.verdict_text));
    }
    var missing = document.getElementById("live-missing");
    if (missing && data.missing) {
      missing.innerHTML = "";
      data.missing.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        missing.appendChild(li);
      });
    }
    var bar = document.getElementById("live-bar");
    if (bar && data.target) bar.style.width = Math.min(100, (100 * data.responses) / data.target) + "%";
    if (last !== null && data.responses !== last) {
      box.classList.add("flash");
      setTimeout(function () { box.classList.remove("flash"); }, 1200);
    }
    last = data.responses;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) apply(data); })
      .catch(function () {})
      .then(function () { setTimeout(poll, interval); });
  }
  setTimeout(poll, interval);
})();
