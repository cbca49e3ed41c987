// Report jobs: poll each unfinished job's status document and update its row in place.
// Plain JavaScript, no library; stops polling a job once it is done or failed.
(function () {
  "use strict";
  var FINAL = { done: true, failed: true };
  var INTERVAL_MS = 1000;

  function update(row, data) {
    row.dataset.status = data.status;
    row.querySelector(".job-label").textContent = data.status_label;
    var bar = row.querySelector(".job-progress");
    var percent = row.querySelector(".job-percent");
    bar.value = data.progress;
    bar.hidden = !!FINAL[data.status];
    percent.textContent = FINAL[data.status] ? "" : data.progress + "%";
    row.querySelector(".job-reason").textContent = data.reason || "";
    var link = row.querySelector(".job-link");
    if (data.download_url && !link.querySelector("a")) {
      var a = document.createElement("a");
      a.className = "button";
      a.href = data.download_url;
      a.textContent = link.dataset.label || "下载";
      link.appendChild(a);
      if (data.pages) {
        var pages = document.createElement("span");
        pages.className = "sub";
        pages.textContent = " " + data.pages + " 页";
        link.appendChild(pages);
      }
    }
  }

  function poll(row) {
    fetch(row.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        update(row, data);
        if (!FINAL[data.status]) { window.setTimeout(function () { poll(row); }, INTERVAL_MS); }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, INTERVAL_MS * 5); });
  }

  document.querySelectorAll("tr.report-job").forEach(function (row) {
    if (!FINAL[row.dataset.status]) { poll(row); }
  });
})();
