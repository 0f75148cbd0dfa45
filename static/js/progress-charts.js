// Bar chart (target vs registered per child) and trend line, from the page's #chart-data.
(function () {
  const source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const label = data.labels;
  const bars = document.getElementById("bars");
  if (bars) {
    const chart = echarts.init(bars);
    const many = data.names.length > 40; // scroll instead of squeezing hundreds of bars
    chart.setOption({
      dataZoom: many ? [{ type: "slider", yAxisIndex: 0, startValue: 0, endValue: 39, right: 0 }, { type: "inside", yAxisIndex: 0 }] : [],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: [label.target, label.members] },
      grid: { left: 8, right: many ? 40 : 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.names, inverse: true, axisLabel: { width: 180, overflow: "truncate" } },
      series: [
        { name: label.target, type: "bar", data: data.targets, itemStyle: { color: "#ced4da" } },
        {
          name: label.members, type: "bar", itemStyle: { color: "#198754" },
          data: data.members.map((value, i) => ({ value, itemStyle: { color: data.behind[i] ? "#dc3545" : "#198754" } })),
        },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
  const trend = document.getElementById("trend");
  if (trend) {
    const chart = echarts.init(trend);
    const series = [{ name: label.members, type: "line", smooth: true, data: data.trend, areaStyle: { opacity: 0.1 } }];
    if (data.target) {
      series[0].markLine = { symbol: "none", data: [{ yAxis: data.target, name: label.goal }], label: { formatter: label.goal + " {c}" } };
    }
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 72, top: 24, bottom: 8, containLabel: true },
      xAxis: { type: "time" },
      yAxis: { type: "value", min: 0, max: (v) => Math.max(v.max, data.target || 0) },
      series,
    });
    window.addEventListener("resize", () => chart.resize());
  }
})();
