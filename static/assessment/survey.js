// The public questionnaire: mark unanswered questions in Chinese before sending, and send once.
// The server checks everything again; this only saves a round trip on a phone.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;
  var box = document.getElementById("client-message");
  function answered(name) {
    var fields = form.elements[name];
    if (!fields) return true;
    if (fields.tagName === "SELECT") return fields.value !== "";
    if (fields.length === undefined) return fields.checked;
    for (var i = 0; i < fields.length; i++) if (fields[i].checked) return true;
    return false;
  }
  function chosen(name) {
    var fields = form.elements[name];
    if (!fields) return null;
    if (fields.length === undefined) return fields.checked ? fields.value : null;
    for (var i = 0; i < fields.length; i++) if (fields[i].checked) return fields[i].value;
    return null;
  }
  form.addEventListener("change", function (event) {
    var set = event.target.closest("fieldset.q");
    if (set && answered(set.getAttribute("data-required"))) {
      set.classList.remove("missing");
      var err = set.querySelector(".err");
      if (err) err.remove();
    }
  });
  form.addEventListener("submit", function (event) {
    var first = null;
    var sets = form.querySelectorAll("fieldset.q[data-required]");
    for (var i = 0; i < sets.length; i++) {
      var set = sets[i];
      var when = set.getAttribute("data-when-group");
      if (when && chosen("group") !== when) continue; // e.g. the child's grade: parents only
      if (answered(set.getAttribute("data-required"))) continue;
      set.classList.add("missing");
      if (!first) first = set;
    }
    if (first) {
      event.preventDefault();
      var number = first.getAttribute("data-number");
      box.textContent = number
        ? form.getAttribute("data-missing").replace("%(n)s", number)
        : first.getAttribute("data-message") || form.getAttribute("data-missing-field");
      box.hidden = false;
      first.scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) { event.preventDefault(); return; }
    button.disabled = true; // a double tap sends one request
  });
  window.addEventListener("pageshow", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = false;
  });
})();
