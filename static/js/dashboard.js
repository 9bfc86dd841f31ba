// dangjian dashboard (C16): draws the charts from the page's json_script block with ECharts;
// a wall screen reloads itself every few minutes. No inline script anywhere (CSP).
(function () {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const dark = Boolean(data.wall);
  const theme = dark ? "dark" : null;
  const text = dark ? "#e8e8e8" : "#333";
  const muted = dark ? "#9aa4b2" : "#777";
  const grid = dark ? "rgba(255,255,255,0.12)" : "#e5e5e5";
  const RED = "#c0392b";
  const charts = [];

  // Same thresholds as the 达标率 tables: below 90% red, below 98% amber, else green.
  function rateColour(rate) {
    if (rate === null || rate === undefined) return dark ? "#4b5563" : "#c7c7c7";
    if (rate < 90) return "#d9534f";
    if (rate < 98) return "#e6a23c";
    return "#2e9d5b";
  }

  function make(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    const chart = echarts.init(el, theme, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  const base = { backgroundColor: "transparent", textStyle: { color: text } };

  if (data.trend) {
    const chart = make("chart-trend");
    if (chart) {
      // On a narrow screen twelve value labels would overlap: the tooltip shows them instead.
      const roomy = chart.getWidth() >= 480;
      chart.setOption(Object.assign({}, base, {
        grid: { left: 48, right: 16, top: 24, bottom: 28 },
        tooltip: {
          trigger: "axis",
          valueFormatter: function (v) { return v === null || v === undefined ? "未评价" : v + "%"; },
        },
        xAxis: { type: "category", data: data.trend.months, axisLabel: { color: muted } },
        yAxis: {
          type: "value", min: function (v) { return Math.max(0, Math.floor((v.min - 5) / 10) * 10); },
          max: 100, axisLabel: { color: muted, formatter: "{value}%" },
          splitLine: { lineStyle: { color: grid } },
        },
        series: [{
          name: "达标率", type: "line", data: data.trend.rates, smooth: true, connectNulls: false,
          symbolSize: 8, lineStyle: { width: 3, color: RED }, itemStyle: { color: RED },
          areaStyle: { color: dark ? "rgba(192,57,43,0.25)" : "rgba(192,57,43,0.12)" },
          label: { show: roomy, position: "top", color: text, formatter: "{c}%" },
        }],
      }));
    }
  }

  if (data.treemap && data.treemap.length) {
    const chart = make("chart-treemap");
    if (chart) {
      chart.setOption(Object.assign({}, base, {
        tooltip: {
          formatter: function (p) {
            const d = p.data;
            const rate = d.rate === null ? "未评价" : d.rate + "%";
            return echarts.format.encodeHTML(d.name) + "<br>党员 " + d.value + " 人<br>本年累计达标率 " + rate;
          },
        },
        series: [{
          type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
          width: "100%", height: "100%", top: 0, left: 0,
          label: { show: true, formatter: function (p) {
            const d = p.data;
            return d.name + "\n" + d.value + "人 · " + (d.rate === null ? "未评价" : d.rate + "%");
          }, color: "#fff", fontSize: 13, overflow: "break" },
          itemStyle: { borderColor: dark ? "#0b1220" : "#fff", borderWidth: 2, gapWidth: 2 },
          data: data.treemap.map(function (d) {
            return Object.assign({}, d, { itemStyle: { color: rateColour(d.rate) } });
          }),
        }],
      }));
      chart.on("click", function (p) {
        if (p.data && p.data.url) window.location.assign(p.data.url);
      });
    }
  }

  if (data.classes) {
    const chart = make("chart-classes");
    if (chart) {
      const colours = { "先进": "#c0392b", "一般": "#e6a23c", "后进": "#5b6b7f", "未分类": "#b0b0b0" };
      chart.setOption(Object.assign({}, base, {
        tooltip: { trigger: "item", formatter: "{b}：{c} 个（{d}%）" },
        legend: { bottom: 0, textStyle: { color: text } },
        series: [{
          name: "考核类别", type: "pie", radius: ["42%", "68%"], center: ["50%", "44%"],
          label: { formatter: "{b}\n{c}", color: text },
          data: data.classes.map(function (d) {
            return Object.assign({}, d, { itemStyle: { color: colours[d.name] } });
          }),
        }],
      }));
    }
  }

  if (data.grades) {
    const chart = make("chart-grades");
    if (chart) {
      chart.setOption(Object.assign({}, base, {
        grid: { left: 36, right: 12, top: 24, bottom: 28 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.grades.names, axisLabel: { color: muted } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: muted }, splitLine: { lineStyle: { color: grid } } },
        series: [{
          name: "等次", type: "bar", data: data.grades.values, barMaxWidth: 36,
          itemStyle: { color: RED, borderRadius: [4, 4, 0, 0] },
          label: { show: true, position: "top", color: text },
        }],
      }));
    }
  }

  // The page tells tests (and curious users) that every chart has been drawn.
  document.getElementById("dashboard").dataset.charts = String(charts.length);

  let pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });

  if (data.refresh > 0) {
    setTimeout(function () { window.location.reload(); }, data.refresh * 1000);
  }
})();
