// dangjian dashboard (C16): draws the charts from the page's json_script block with ECharts;
// every point, slice, bar and tile leads to the address the page gave it (a child's dashboard
// or the records behind the figure); a wall screen reloads itself every few minutes.
// No inline script anywhere (CSP).
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
  const GOLD = dark ? "#ffd479" : "#b8860b";
  const FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
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

  function follow(url) {
    if (url) window.location.assign(url);
  }

  function percent(v) {
    return v === null || v === undefined ? "无数据" : v + "%";
  }

  const base = { backgroundColor: "transparent", textStyle: { color: text, fontFamily: FONT } };

  if (data.trend) {
    const chart = make("chart-trend");
    if (chart) {
      // On a narrow screen twelve value labels would overlap: the tooltip shows them instead.
      const roomy = chart.getWidth() >= 480;
      const both = Boolean(data.trend.satisfaction);
      const series = [{
        name: "达标率", type: "line", data: data.trend.rates, smooth: true, connectNulls: false,
        symbolSize: 8, lineStyle: { width: 3, color: RED }, itemStyle: { color: RED },
        areaStyle: { color: dark ? "rgba(192,57,43,0.25)" : "rgba(192,57,43,0.12)" },
        label: { show: roomy && !both, position: "top", color: text, formatter: "{c}%" },
      }];
      if (both) {
        series.push({
          name: "群众满意度", type: "line", data: data.trend.satisfaction, smooth: true,
          connectNulls: false, symbol: "diamond", symbolSize: 8,
          lineStyle: { width: 2, color: GOLD, type: "dashed" }, itemStyle: { color: GOLD },
        });
      }
      chart.setOption(Object.assign({}, base, {
        grid: { left: 48, right: 16, top: both ? 34 : 24, bottom: 28 },
        legend: both ? { top: 0, right: 8, textStyle: { color: text }, itemWidth: 18 } : undefined,
        tooltip: { trigger: "axis", valueFormatter: percent },
        xAxis: {
          type: "category", data: data.trend.months, axisLabel: { color: muted },
          triggerEvent: true,
        },
        yAxis: {
          type: "value", min: function (v) { return Math.max(0, Math.floor((v.min - 5) / 10) * 10); },
          max: 100, axisLabel: { color: muted, formatter: "{value}%" },
          splitLine: { lineStyle: { color: grid } },
        },
        series: series,
      }));
      // A point or a month's label: the branches judged that month that missed it.
      chart.on("click", function (p) {
        const index = p.componentType === "xAxis"
          ? data.trend.months.indexOf(p.value) : p.dataIndex;
        follow(data.trend.urls[index]);
      });
    }
  }

  if (data.map && data.map.length) {
    const chart = make("chart-map");
    if (chart) {
      const tooltip = {
        formatter: function (p) {
          const d = p.data || {};
          return echarts.format.encodeHTML(d.name || "") + "<br>党员 " + d.value +
            " 人<br>本年累计达标率 " + (d.rate === null ? "未评价" : d.rate + "%");
        },
      };
      function coloured(nodes) {
        return nodes.map(function (d) {
          const node = Object.assign({}, d, { itemStyle: { color: rateColour(d.rate) } });
          if (d.children) node.children = coloured(d.children);
          return node;
        });
      }
      const nodes = coloured(data.map);
      const members = nodes.reduce(function (sum, d) { return sum + (d.value || 0); }, 0) || 1;
      // The beginning most siblings share (中共某某县…), left out where only a few characters fit:
      // the longest one at least half of the names start with.
      const counts = {};
      nodes.forEach(function (d) {
        for (let n = 2; n <= Math.min(d.name.length - 2, 12); n += 1) {
          const head = d.name.slice(0, n);
          counts[head] = (counts[head] || 0) + 1;
        }
      });
      let shared = "";
      Object.keys(counts).forEach(function (head) {
        if (counts[head] * 2 >= nodes.length && counts[head] > 1 && head.length > shared.length) shared = head;
      });
      const short = function (name) {
        if (name.indexOf(shared) !== 0) return name;
        return shared.length >= 2 && name.length > shared.length + 1 ? name.slice(shared.length) : name;
      };
      const tiles = nodes.map(function (d) {
        const node = Object.assign({}, d);
        delete node.children;  // the treemap shows the children; the sunburst both levels
        // ECharts wraps a label to its tile's width but not its height: a small tile's text
        // would spill over its neighbours. By the tile's area on this screen, small tiles show
        // the name on one line, the smallest nothing (the tooltip names them all).
        const area = ((d.value || 0) / members) * chart.getWidth() * chart.getHeight();
        if (area < 1500) node.label = { show: false };
        else if (area < 12000) node.label = { overflow: "truncate", formatter: short(d.name) };
        return node;
      });
      const modes = {
        treemap: {
          type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
          width: "100%", height: "100%", top: 0, left: 0, visibleMin: 1,
          label: {
            show: true, color: "#fff", fontSize: dark ? 15 : 13, overflow: "break",
            formatter: function (p) {
              const d = p.data;
              return d.name + "\n" + d.value + "人 · " + (d.rate === null ? "未评价" : d.rate + "%");
            },
          },
          itemStyle: { borderColor: dark ? "#0b1220" : "#fff", borderWidth: 2, gapWidth: 2 },
          data: tiles,
        },
        sunburst: {
          type: "sunburst", radius: ["14%", "96%"], nodeClick: false, sort: null,
          itemStyle: { borderColor: dark ? "#0b1220" : "#fff", borderWidth: 1 },
          label: {
            color: "#fff", fontSize: 12, overflow: "truncate",
            formatter: function (p) { return p.data.label || p.name; },
          },
          levels: [
            {},
            { r0: "14%", r: "55%", label: { rotate: "tangential", minAngle: 14, width: 72 } },
            { r0: "55%", r: "96%", label: { rotate: "radial", minAngle: 5, width: 64, fontSize: 11 } },
          ],
          data: nodes,
        },
      };
      function draw(mode) {
        chart.setOption(Object.assign({}, base, { tooltip: tooltip, series: [modes[mode]] }), true);
        document.querySelectorAll("[data-map]").forEach(function (button) {
          const on = button.dataset.map === mode;
          button.classList.toggle("active", on);
          button.setAttribute("aria-pressed", String(on));
        });
        document.getElementById("chart-map").dataset.mode = mode;
      }
      draw("treemap");
      document.querySelectorAll("[data-map]").forEach(function (button) {
        button.addEventListener("click", function () { draw(button.dataset.map); });
      });
      chart.on("click", function (p) { follow(p.data && p.data.url); });
    }
  }

  if (data.classes) {
    const chart = make("chart-classes");
    if (chart) {
      const colours = { "先进": "#c0392b", "一般": "#e6a23c", "后进": "#5b6b7f", "未分类": "#8c8c8c" };
      chart.setOption(Object.assign({}, base, {
        tooltip: { trigger: "item", formatter: "{b}：{c} 个（{d}%）" },
        // names and counts in the legend, counts inside the ring: nothing to cut off at the
        // edge of a narrow card
        legend: {
          bottom: 0, textStyle: { color: text }, itemWidth: 12, itemGap: 10,
          formatter: function (name) {
            const found = data.classes.find(function (d) { return d.name === name; });
            return name + " " + (found ? found.value : 0);
          },
        },
        series: [{
          name: "考核类别", type: "pie", radius: ["38%", "72%"], center: ["50%", "44%"],
          minShowLabelAngle: 12,
          label: { position: "inside", formatter: "{c}", color: "#fff", fontWeight: "bold" },
          labelLine: { show: false },
          data: data.classes.map(function (d) {
            return Object.assign({}, d, { itemStyle: { color: colours[d.name] } });
          }),
        }],
      }));
      chart.on("click", function (p) { follow(p.data && p.data.url); });
    }
  }

  if (data.grades) {
    const chart = make("chart-grades");
    if (chart) {
      chart.setOption(Object.assign({}, base, {
        grid: { left: 4, right: 12, top: 24, bottom: 4, containLabel: true },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.grades.names, axisLabel: { color: muted } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: muted }, splitLine: { lineStyle: { color: grid } } },
        series: [{
          name: "等次", type: "bar", data: data.grades.values, barMaxWidth: 36,
          itemStyle: { color: RED, borderRadius: [4, 4, 0, 0] },
          label: { show: true, position: "top", color: text },
        }],
      }));
      chart.on("click", function (p) { follow(data.grades.urls[p.dataIndex]); });
    }
  }

  if (data.flow) {
    const chart = make("chart-flow");
    if (chart) {
      const f = data.flow;
      chart.setOption(Object.assign({}, base, {
        grid: { left: 4, right: 8, top: 36, bottom: 4, containLabel: true },
        legend: { top: 0, right: 0, textStyle: { color: text }, itemWidth: 12, itemHeight: 10 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: f.classes, axisLabel: { color: muted } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: muted }, splitLine: { lineStyle: { color: grid } } },
        series: [
          { name: f.years[0], type: "bar", data: f.before, barMaxWidth: 18, itemStyle: { color: dark ? "#5b6b7f" : "#b0b7c3" } },
          {
            name: f.years[1], type: "bar", data: f.now, barMaxWidth: 18,
            itemStyle: { color: RED }, label: { show: true, position: "top", color: text, fontSize: 11 },
          },
        ],
      }));
      // this year's bar of a class: the results now in that class
      chart.on("click", function (p) { follow(f.urls[p.dataIndex]); });
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
