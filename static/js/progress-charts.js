// Draws the staff dashboard's charts from the figures the server put in the
// page (#progress-data). The tables next to each chart hold the same figures,
// so nothing is lost where this script does not run.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("progress-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var ink = "#1b1b1b";
    var primary = "#0b4f8a";
    window.Chart.defaults.color = ink;
    window.Chart.defaults.font.size = 14;
    window.Chart.defaults.animation = reduceMotion ? false : { duration: 300 };

    var monthly = document.getElementById("monthly-chart");
    if (monthly) {
      new window.Chart(monthly, {
        type: "line",
        data: {
          labels: data.months.map(function (m) {
            return m.inProgress ? m.label + " (so far)" : m.label;
          }),
          datasets: [
            {
              label: "Pairs in touch (%)",
              data: data.months.map(function (m) { return m.percent; }),
              borderColor: primary,
              backgroundColor: primary,
              pointRadius: 4,
              spanGaps: false,
            },
          ],
        },
        options: {
          maintainAspectRatio: false,
          scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
          plugins: { legend: { display: false } },
        },
      });
    }

    var funnel = document.getElementById("funnel-chart");
    if (funnel) {
      new window.Chart(funnel, {
        type: "bar",
        data: {
          labels: data.funnel.map(function (s) { return s.label; }),
          datasets: [
            {
              label: "Mentees",
              data: data.funnel.map(function (s) { return s.count; }),
              backgroundColor: primary,
            },
          ],
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
