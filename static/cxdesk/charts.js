// Draws every <canvas data-chart="ID"> from the JSON spec that `{{ spec|json_script:"ID" }}`
// wrote into the page (our CSP allows no inline script), with the vendored Chart.js. A spec:
//   {"type": "line" | "bar", "labels": [...], "datasets": [{"label": "...", "data": [...]}],
//    "y": {"min": 0, "max": 100, "label": "%"}}   (y optional; null data points leave gaps)
// The table beside each chart carries the same numbers: a page works, and is read by a
// screen reader, without this file.
(function () {
  "use strict";
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var y = spec.y || {};
    new window.Chart(canvas, {
      type: spec.type === "bar" ? "bar" : "line",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set) {
          return { label: set.label, data: set.data, spanGaps: false, tension: 0 };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: {
          y: {
            min: y.min, max: y.max,
            title: { display: Boolean(y.label), text: y.label || "" },
          },
        },
      },
    });
    canvas.dataset.drawn = "1";
  }
  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
