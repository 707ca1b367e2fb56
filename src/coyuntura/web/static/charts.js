/* Small inline-SVG charts for the coyuntura explorer: fans, lines with bands, bars, forest plots, a network.
   No dependencies. Every chart carries the numbers it draws in data-* attributes and <title> tooltips. */
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function title(text) { return el("title", {}, text); }

  function scale(d0, d1, r0, r1) {
    const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return (v) => r0 + (v - d0) * k;
  }

  const pct = (p, digits = 1) => (100 * p).toFixed(digits);

  /* Month ticks: about `count` labels, on January when the span is long. */
  function monthTicks(months, count) {
    const n = months.length;
    if (n <= 1) return [0];
    const step = Math.max(1, Math.ceil(n / count));
    const ticks = [];
    if (n > 36) {
      const yearStep = Math.max(1, Math.ceil(n / 12 / count));
      months.forEach((m, i) => {
        const year = Number(m.slice(0, 4));
        if (m.endsWith("-01") && year % yearStep === 0) ticks.push(i);
      });
      if (ticks.length) return ticks;
    }
    for (let i = 0; i < n; i += step) ticks.push(i);
    return ticks;
  }

  function frame(width, height, margin) {
    return { width, height, margin, x0: margin.left, x1: width - margin.right, y0: height - margin.bottom, y1: margin.top };
  }

  function axes(svg, f, months, x, y, yTicks, yFormat, tickCount) {
    const grid = el("g", { class: "grid" });
    const yAxis = el("g", { class: "axis" });
    for (const t of yTicks) {
      grid.appendChild(el("line", { x1: f.x0, x2: f.x1, y1: y(t), y2: y(t) }));
      yAxis.appendChild(el("text", { x: f.x0 - 4, y: y(t) + 3, "text-anchor": "end" }, yFormat(t)));
    }
    const xAxis = el("g", { class: "axis" });
    xAxis.appendChild(el("line", { x1: f.x0, x2: f.x1, y1: f.y0, y2: f.y0 }));
    const long = months.length > 36;
    for (const i of monthTicks(months, tickCount)) {
      xAxis.appendChild(el("line", { x1: x(i), x2: x(i), y1: f.y0, y2: f.y0 + 3 }));
      xAxis.appendChild(el("text", { x: x(i), y: f.y0 + 13, "text-anchor": "middle" }, long ? months[i].slice(0, 4) : months[i]));
    }
    svg.append(grid, yAxis, xAxis);
  }

  function pathOf(points) {
    return points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join("");
  }

  function band(xs, low, high, x, y) {
    const top = xs.map((i, k) => [x(i), y(high[k])]);
    const bottom = xs.map((i, k) => [x(i), y(low[k])]).reverse();
    return pathOf(top.concat(bottom)) + "Z";
  }

  /* Fan chart: for each series, 90% band (q[0]..q[4]), 50% band (q[1]..q[3]) and median (q[2]), per month. */
  function fan(months, series, opts = {}) {
    const f = frame(opts.width || 260, opts.height || 130, { top: 6, right: 20, bottom: 18, left: 30 });
    const svg = el("svg", { viewBox: `0 0 ${f.width} ${f.height}`, width: f.width, height: f.height, role: "img" });
    const x = scale(0, Math.max(1, months.length - 1), f.x0, f.x1);
    const y = scale(0, 1, f.y0, f.y1);
    axes(svg, f, months, x, y, [0, 0.5, 1], (t) => t.toFixed(1), 3);
    const xs = months.map((_, i) => i);
    for (const s of series) {
      const q = s.values; // [month][5]
      const g = el("g", { class: "fan-series", "data-arm": s.arm, "data-median": q.map((v) => v[2]).join(",") });
      g.appendChild(el("path", { d: band(xs, q.map((v) => v[0]), q.map((v) => v[4]), x, y), fill: s.color, "fill-opacity": 0.14, stroke: "none" }));
      g.appendChild(el("path", { d: band(xs, q.map((v) => v[1]), q.map((v) => v[3]), x, y), fill: s.color, "fill-opacity": 0.28, stroke: "none" }));
      g.appendChild(el("path", { class: "median", d: pathOf(xs.map((i) => [x(i), y(q[i][2])])), fill: "none", stroke: s.color, "stroke-width": 1.6 },
        title(`${s.label}: median ${q[q.length - 1][2]} at ${months[months.length - 1]} (50%: ${q[q.length - 1][1]}..${q[q.length - 1][3]})`)));
      svg.appendChild(g);
    }
    return svg;
  }

  /* Probability lines with a 95% band (p ± 1.96 SE), one per key. */
  function probabilityLines(months, rows, opts = {}) {
    const f = frame(opts.width || 460, opts.height || 220, { top: 22, right: 26, bottom: 20, left: 36 });
    const svg = el("svg", { viewBox: `0 0 ${f.width} ${f.height}`, width: f.width, height: f.height, role: "img", "data-arm": opts.arm || "" });
    const x = scale(0, Math.max(1, months.length - 1), f.x0, f.x1);
    const y = scale(0, 1, f.y0, f.y1);
    axes(svg, f, months, x, y, [0, 0.25, 0.5, 0.75, 1], (t) => `${Math.round(t * 100)}%`, 6);
    if (opts.title) svg.appendChild(el("text", { x: f.x0, y: 13, class: "chart-title", "font-size": 12, "font-weight": 600, fill: opts.titleColor || "#1d2430" }, opts.title));
    const xs = months.map((_, i) => i);
    for (const r of rows) {
      const low = r.p.map((p, i) => Math.max(0, p - 1.96 * r.se[i]));
      const high = r.p.map((p, i) => Math.min(1, p + 1.96 * r.se[i]));
      const g = el("g", { class: "prob-line", "data-key": r.key, "data-values": r.p.join(",") });
      g.appendChild(el("path", { d: band(xs, low, high, x, y), fill: r.color, "fill-opacity": 0.18, stroke: "none" }));
      g.appendChild(el("path", { d: pathOf(xs.map((i) => [x(i), y(r.p[i])])), fill: "none", stroke: r.color, "stroke-width": 1.8 },
        title(`${r.label}: ${pct(r.p[r.p.length - 1])}% ± ${pct(r.se[r.se.length - 1])} at ${months[months.length - 1]}`)));
      svg.appendChild(g);
    }
    return svg;
  }

  /* A bar of probability p with a ±1.96 SE whisker, on a 0..max scale. */
  function bar(p, se, max, color, label, opts = {}) {
    const width = opts.width || 110, height = opts.height || 9;
    const x = scale(0, max, 0, width);
    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "pbar", "data-p": p, "data-se": se, "data-arm": opts.arm || "" });
    svg.appendChild(el("rect", { x: 0, y: 0, width, height, fill: "#f1f3f6" }));
    svg.appendChild(el("rect", { x: 0, y: 1, width: Math.max(0, x(Math.min(p, max))), height: height - 2, fill: color }, title(label)));
    const lo = x(Math.max(0, p - 1.96 * se)), hi = x(Math.min(max, p + 1.96 * se));
    svg.appendChild(el("line", { x1: lo, x2: hi, y1: height / 2, y2: height / 2, stroke: "#1d2430", "stroke-width": 1 }));
    return svg;
  }

  /* Forest plot of paired differences: point and 95% interval per row, around zero. */
  function forest(rows, opts = {}) {
    const rowHeight = 18, labelWidth = opts.labelWidth || 310, numbers = 300;
    const plotWidth = opts.plotWidth || 280;
    const width = labelWidth + plotWidth + numbers, height = 30 + rows.length * rowHeight;
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "forest" });
    const extent = Math.max(0.01, ...rows.map((r) => Math.max(Math.abs(r.low), Math.abs(r.high))));
    const x = scale(-extent, extent, labelWidth + 10, labelWidth + plotWidth - 10);
    const head = el("g", { class: "axis" });
    head.appendChild(el("text", { x: labelWidth + plotWidth / 2, y: 12, "text-anchor": "middle" }, "intervention − baseline (percentage points)"));
    for (const t of [-extent, -extent / 2, 0, extent / 2, extent]) {
      head.appendChild(el("text", { x: x(t), y: 25, "text-anchor": "middle" }, `${t > 0 ? "+" : ""}${pct(t)}`));
    }
    head.appendChild(el("text", { x: labelWidth + plotWidth + 8, y: 25 }, "baseline → intervention   difference [95%]"));
    svg.appendChild(head);
    svg.appendChild(el("line", { x1: x(0), x2: x(0), y1: 28, y2: height, stroke: "#9aa3ae", "stroke-dasharray": "3,3" }));
    rows.forEach((r, i) => {
      const cy = 30 + i * rowHeight + rowHeight / 2;
      const clear = r.low > 0 || r.high < 0;
      const color = clear ? (r.difference > 0 ? "#a4341f" : "#3b6ea5") : "#7b8592";
      const g = el("g", { class: "forest-row", "data-key": r.key, "data-difference": r.difference, "data-low": r.low, "data-high": r.high });
      g.appendChild(el("text", { x: labelWidth, y: cy + 4, "text-anchor": "end", "font-size": 11 }, r.label));
      g.appendChild(el("line", { x1: x(r.low), x2: x(r.high), y1: cy, y2: cy, stroke: color, "stroke-width": 2 }));
      g.appendChild(el("circle", { cx: x(r.difference), cy, r: 3.5, fill: color },
        title(`${r.label}: ${pct(r.baseline)}% ± ${pct(r.baseline_se)} → ${pct(r.intervention)}% ± ${pct(r.intervention_se)}; difference ${pct(r.difference)} pp, 95% [${pct(r.low)}, ${pct(r.high)}] (paired SE ${pct(r.se, 2)}, unpaired would be ${pct(r.unpaired_se, 2)})`)));
      g.appendChild(el("text", { x: labelWidth + plotWidth + 8, y: cy + 4, "font-size": 11, class: "forest-numbers" },
        `${pct(r.baseline)}% → ${pct(r.intervention)}%   ${r.difference >= 0 ? "+" : ""}${pct(r.difference)} [${pct(r.low)}, ${pct(r.high)}]`));
      svg.appendChild(g);
    });
    return svg;
  }

  const KIND_COLORS = {
    labor: "#a4341f", peasantry: "#7d9c3a", capital: "#5b4a8a", army: "#4b5a3a", church: "#8a6d3b",
    party: "#c2566b", students: "#d9822b", foreign: "#3b6ea5", guerrilla: "#2d2d2d",
  };

  /* Actors on a circle (grouped by kind), sized by weight; influence ties solid, alliances dashed. */
  function network(actors, relations, opts = {}) {
    const width = opts.width || 680, height = opts.height || 480;
    const cx = width / 2, cy = height / 2, radius = Math.min(width, height) / 2 - 70;
    const order = [...actors].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
    const pos = {};
    order.forEach((a, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / order.length;
      pos[a.id] = [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle), angle];
    });
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "network" });
    const defs = el("defs", {});
    for (const kind of ["influence", "alliance"]) {
      defs.appendChild(el("marker", { id: `arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" },
        el("path", { d: "M0,0L10,5L0,10z", fill: kind === "influence" ? "#7b8592" : "#4f8a3a" })));
    }
    svg.appendChild(defs);
    const nodeRadius = (a) => 5 + 22 * Math.sqrt(Math.max(0, a.weight));
    const byId = Object.fromEntries(actors.map((a) => [a.id, a]));
    for (const r of relations) {
      const [x1, y1] = pos[r.from] || [], [x2, y2] = pos[r.to] || [];
      if (x1 === undefined || x2 === undefined) continue;
      const dx = x2 - x1, dy = y2 - y1, d = Math.hypot(dx, dy) || 1;
      const r1 = nodeRadius(byId[r.from]), r2 = nodeRadius(byId[r.to]) + 2;
      const bend = r.kind === "alliance" ? 0.12 : 0.06;
      const mx = (x1 + x2) / 2 - dy * bend, my = (y1 + y2) / 2 + dx * bend;
      const sx = x1 + (dx / d) * r1, sy = y1 + (dy / d) * r1, ex = x2 - (dx / d) * r2, ey = y2 - (dy / d) * r2;
      svg.appendChild(el("path", {
        d: `M${sx.toFixed(1)},${sy.toFixed(1)}Q${mx.toFixed(1)},${my.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}`,
        fill: "none", stroke: r.kind === "influence" ? "#7b8592" : "#4f8a3a", "stroke-width": (0.6 + 3 * r.weight).toFixed(2),
        "stroke-dasharray": r.kind === "alliance" ? "5,3" : null, "stroke-opacity": 0.75, "marker-end": `url(#arrow-${r.kind})`,
        class: "relation", "data-from": r.from, "data-to": r.to, "data-kind": r.kind,
      }, title(`${byId[r.from].name} → ${byId[r.to].name}: ${r.kind} ${r.weight}`)));
    }
    for (const a of order) {
      const [x, y, angle] = pos[a.id];
      const g = el("g", { class: "node", "data-actor": a.id, tabindex: 0, style: "cursor:pointer" });
      g.appendChild(el("circle", { cx: x, cy: y, r: nodeRadius(a), fill: KIND_COLORS[a.kind] || "#777", "fill-opacity": 0.85, stroke: "#fff", "stroke-width": 1.5 },
        title(`${a.name} (${a.kind}), weight ${a.weight}`)));
      const lx = x + Math.cos(angle) * (nodeRadius(a) + 6), ly = y + Math.sin(angle) * (nodeRadius(a) + 6);
      const anchor = Math.abs(Math.cos(angle)) < 0.3 ? "middle" : Math.cos(angle) > 0 ? "start" : "end";
      g.appendChild(el("text", { x: lx, y: ly + 4, "text-anchor": anchor, "font-size": 11, fill: "#1d2430" }, a.id));
      if (opts.onClick) {
        g.addEventListener("click", () => opts.onClick(a.id));
        g.addEventListener("keydown", (e) => { if (e.key === "Enter") opts.onClick(a.id); });
      }
      svg.appendChild(g);
    }
    return svg;
  }

  return { el, fan, probabilityLines, bar, forest, network, KIND_COLORS, pct };
})();
