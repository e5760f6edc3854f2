// The KPI dashboard's charts, drawn with the vendored Chart.js from the JSON in #kpi-data.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kpi-data").textContent);
  var labels = JSON.parse(document.getElementById("kpi-labels").textContent);
  var rtl = document.documentElement.dir === "rtl";
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.animation = false;
  var colour = "#0b6e4f";
  var palette = ["#0b6e4f", "#3182ce", "#d69e2e", "#c53030", "#805ad5", "#38a169", "#dd6b20",
    "#319795", "#d53f8c", "#718096"];

  function named(counts, names) {
    var keys = Object.keys(counts);
    return { labels: keys.map(function (k) { return (names && names[k]) || k || "—"; }),
      values: keys.map(function (k) { return counts[k]; }) };
  }

  function draw(id, type, series, options) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: type,
      data: { labels: series.labels, datasets: [{ data: series.values,
        backgroundColor: type === "doughnut" ? palette : colour, borderColor: colour }] },
      options: Object.assign({ maintainAspectRatio: false, locale: document.documentElement.lang,
        plugins: { legend: { display: type === "doughnut", rtl: rtl } },
        scales: type === "doughnut" ? {} : { x: { reverse: rtl }, y: { beginAtZero: true } } },
        options || {})
    });
  }

  draw("chart-day", "line", named(data.by_day));
  draw("chart-hour", "bar", { labels: data.by_hour.map(function (_, h) { return String(h); }),
    values: data.by_hour });
  draw("chart-channel", "doughnut", named(data.by_channel, labels.channels));
  draw("chart-category", "bar", named(data.by_category, labels.categories));
  draw("chart-district", "bar", named(data.by_district, labels.districts));
  draw("chart-ageing", "bar", named(data.ageing));
  draw("chart-satisfaction", "bar", named(data.satisfaction.distribution));
  draw("chart-abandoned", "bar", named(data.calls.abandoned_by_step));
  draw("chart-transaction-types", "bar", named(data.transactions.by_type, labels.transactions));
  draw("chart-transaction-outcomes", "bar",
    named(data.transactions.by_outcome, labels.outcomes));
})();
