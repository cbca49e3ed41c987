// Page charts with ECharts (static/vendor/echarts, vendored through npm). No inline script (CSP):
// each chart is a <div class="echart" data-chart="ID"> whose figures the page writes with
// json_script (<script type="application/json" id="ID">), built on the server from the stored
// results (indicators/chart_data.py); the server's SVG inside the div stays when this cannot run.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  const OK = "#1f8a4c", BAD = "#c0392b", INK = "#1f2933", MUTED = "#6b7785", LINE = "#d9dee4";
  const PALETTE = ["#1d4e89", "#2b9348", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563", "#65a30d"];
  const FONT = { fontFamily: "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, sans-serif", color: INK };

  // An axis end a little past the largest value or threshold: 0.6 for 0.5, 120 for 100.
  function niceTop(top) {
    if (!(top > 0)) return 1;
    return top <= 1 ? Math.ceil(top * 11) / 10 : Math.ceil(top * 1.1 / 10) * 10;
  }

  function fmt(value, digits) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
  }

  function thresholdLine(value, label, axis) {
    const line = { silent: true, symbol: "none", lineStyle: { color: BAD, type: "dashed", width: 1.5 },
      label: { formatter: label, color: BAD, position: axis === "x" ? "start" : "insideEndTop" }, data: [{}] };
    line.data[0][axis === "x" ? "xAxis" : "yAxis"] = value;
    return line;
  }

  // Horizontal bars (one per indicator) against their thresholds: green within, red above.
  function bars(spec) {
    const same = spec.thresholds.every((t) => t === spec.thresholds[0]);
    const digits = spec.digits === undefined ? 3 : spec.digits;
    const values = spec.values.map((v, i) => ({
      value: v,
      itemStyle: { color: spec.thresholds[i] !== null && v !== null && v > spec.thresholds[i] ? BAD : OK },
    }));
    const series = [{
      name: spec.labels.value, type: "bar", data: values, barMaxWidth: 18,
      label: { show: true, position: "right", formatter: (p) => fmt(p.value, digits), color: INK },
      markLine: same && spec.thresholds[0] !== null
        ? thresholdLine(spec.thresholds[0], `${spec.labels.standard} ≤ ${spec.thresholds[0]}`, "x") : undefined,
    }];
    // Each row's threshold as a red tick (a legend entry of its own), the scale reaching past it.
    series.push({ name: spec.labels.standard, type: "scatter", symbol: "rect", symbolSize: [3, 22],
      itemStyle: { color: BAD }, data: spec.thresholds, z: 3,
      tooltip: { show: false } });
    const top = Math.max(...spec.values.filter((v) => v !== null), ...spec.thresholds.filter((t) => t !== null), 0);
    return {
      textStyle: FONT,
      title: { text: spec.title, left: 0, textStyle: { fontSize: 13, fontWeight: 600 } },
      legend: { top: 22, left: 0, data: [spec.labels.value, { name: spec.labels.standard, icon: "rect" }] },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: (items) => {
        const i = items[0].dataIndex;
        return `${(spec.full || spec.categories)[i]}<br>${spec.labels.value}: <b>${fmt(spec.values[i], digits)}</b>` +
          (spec.thresholds[i] !== null ? `<br>${spec.labels.standard}: ≤ ${spec.thresholds[i]}` : "");
      } },
      grid: { left: 8, right: 48, top: 66, bottom: 36, containLabel: true },
      xAxis: { type: "value", name: spec.axis, nameLocation: "middle", nameGap: 24, min: 0,
        max: niceTop(top),
        axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
      yAxis: { type: "category", data: spec.categories, inverse: true, axisLabel: { color: INK, width: 200, overflow: "truncate" } },
      series: series,
      color: [OK, BAD],
    };
  }

  // Lines over years (CVs, or achievement in %), with the threshold as a labelled dashed line.
  function lines(spec) {
    const digits = spec.digits === undefined ? 3 : spec.digits;
    const unit = spec.unit || "";
    const series = spec.series.map((s, k) => ({
      name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 7,
      lineStyle: { width: 2 }, itemStyle: { color: PALETTE[k % PALETTE.length] },
      markLine: k === 0 && spec.threshold !== null && spec.threshold !== undefined
        ? thresholdLine(spec.threshold, `${spec.labels.standard} ${spec.threshold}${unit}`, "y") : undefined,
    }));
    const values = spec.series.flatMap((s) => s.data).filter((v) => v !== null);
    if (spec.threshold !== null && spec.threshold !== undefined) values.push(spec.threshold);
    return {
      textStyle: FONT,
      title: spec.title ? { text: spec.title, left: 0, textStyle: { fontSize: 13, fontWeight: 600 } } : undefined,
      legend: { bottom: 0, left: 0, right: 0, itemGap: 12 },
      tooltip: { trigger: "axis", valueFormatter: (v) => `${fmt(v, digits)}${unit}` },
      grid: { left: 8, right: 24, top: spec.title ? 48 : 34, bottom: 28 + 22 * Math.ceil(spec.series.length / 3), containLabel: true },
      xAxis: { type: "category", data: spec.x, name: spec.x_axis || "", nameLocation: "middle", nameGap: 26,
        boundaryGap: false, axisLabel: { color: MUTED } },
      yAxis: { type: "value", name: spec.axis + (unit ? ` (${unit})` : ""), min: 0,
        nameTextStyle: { align: "left", color: MUTED }, max: niceTop(Math.max(...values, 0)),
        axisLabel: { color: MUTED, formatter: (v) => `${v}${unit}` }, splitLine: { lineStyle: { color: LINE } } },
      series: series,
    };
  }

  const KINDS = { bars: bars, lines: lines };

  document.querySelectorAll(".echart[data-chart]").forEach((box) => {
    const source = document.getElementById(box.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const build = KINDS[spec.kind];
    if (!build) return;
    const height = spec.kind === "bars" ? 110 + 30 * spec.categories.length
      : (spec.height || 260) + 22 * Math.ceil(spec.series.length / 3);
    box.replaceChildren();
    box.style.height = `${height}px`;
    const chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(build(spec));
    box.dataset.ready = "true";
    new ResizeObserver(() => chart.resize()).observe(box);
  });
})();
