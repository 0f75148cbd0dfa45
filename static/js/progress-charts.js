// Bar chart (target vs registered per child) and trend line, from the page's #chart-data.
(function () {
  const source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const bars = document.getElementById("bars");
  if (bars) {
    const chart = echarts.init(bars);
    const many = data.names.length > 40; // scroll instead of squeezing hundreds of bars
    chart.setOption({
      dataZoom: many ? [{ type: "slider", yAxisIndex: 0, startValue: 0, endValue: 39, right: 0 }, { type: "inside", yAxisIndex: 0 }] : [],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: ["目标任务数", "已采集"] },
      grid: { left: 8, right: many ? 40 : 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.names, inverse: true, axisLabel: { width: 180, overflow: "truncate" } },
      series: [
        { name: "目标任务数", type: "bar", data: data.targets, itemStyle: { color: "#ced4da" } },
        {
          name: "已采集", type: "bar", itemStyle: { color: "#198754" },
          data: data.members.map((value, i) => ({ value, itemStyle: { color: data.behind[i] ? "#dc3545" : "#198754" } })),
        },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
  const trend = document.getElementById("trend");
  if (trend) {
    const chart = echarts.init(trend);
    const series = [{ name: "已采集", type: "line", smooth: true, data: data.trend, areaStyle: { opacity: 0.1 } }];
    if (data.target) {
      series[0].markLine = { symbol: "none", data: [{ yAxis: data.target, name: "目标" }], label: { formatter: "目标 {c}" } };
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
