/* Import job page: while the job runs, poll its status (JSON) and reload when it changes. */
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box || !box.dataset.pollUrl) { return; }
  var url = box.dataset.pollUrl;
  var initial = box.dataset.status;
  var bar = document.getElementById("job-progress");
  var text = box.querySelector("[data-progress-text]");
  var state = document.getElementById("job-state");
  var failures = 0;
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (bar) { bar.value = data.progress; }
        if (text) { text.textContent = data.progress + "%"; }
        if (state) { state.textContent = data.status_label; }
        if (data.status !== initial || !data.busy) {
          window.location.reload();
          return;
        }
        window.setTimeout(tick, 1000);
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(tick, Math.min(10000, 1000 * (failures + 1)));
      });
  }
  window.setTimeout(tick, 1000);
})();
