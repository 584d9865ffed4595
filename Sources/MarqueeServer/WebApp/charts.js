// The app's own chart module: bar, line and interval charts as accessible inline SVG.
//
// Every chart is an <svg role="img"> with a <title> and a <desc> summarising its data, plus a
// visually hidden table of the values for screen readers. Colours come from CSS classes
// (series-0 … series-5), so the style sheet sets the palette and the contrast.

import { h, svg } from './ui.js';

const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { top: 16, right: 16, bottom: 44, left: 64 };

/** Round tick values covering [min, max]. */
export function ticks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (min === max) {
    if (min === 0) return [0, 1];
    min = Math.min(0, min);
    max = Math.max(0, max);
  }
  const span = max - min;
  const step0 = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => span / s <= count) || magnitude * 10;
  const start = Math.floor(min / step) * step;
  const out = [];
  for (let v = start; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1] < max) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

function frame(title, description, width, height) {
  const id = `c${Math.random().toString(36).slice(2, 9)}`;
  const root = svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`,
    preserveAspectRatio: 'xMidYMid meet',
  });
  root.append(svg('title', { id: `${id}-t` }, title), svg('desc', { id: `${id}-d` }, description));
  return root;
}

function dataTable(caption, columns, rows) {
  return h('table.sr-only', h('caption', caption),
    h('thead', h('tr', columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', rows.map((r) => h('tr', r.map((v, i) => (i === 0 ? h('th', { scope: 'row' }, v) : h('td', v)))))));
}

function legend(series) {
  if (series.length < 2) return null;
  return h('ul.legend', series.map((s, i) => h('li', h(`span.swatch.series-${(s.colour ?? i) % 6}`, { 'aria-hidden': 'true' }), s.name)));
}

function yAxis(root, scaleY, yTicks, format, width) {
  const g = svg('g', { class: 'axis axis-y' });
  for (const t of yTicks) {
    const y = scaleY(t);
    g.append(svg('line', { x1: MARGIN.left, x2: width - MARGIN.right, y1: y, y2: y, class: t === 0 ? 'zero' : 'grid' }));
    g.append(svg('text', { x: MARGIN.left - 8, y: y + 4, 'text-anchor': 'end' }, format(t)));
  }
  root.append(g);
}

function xLabels(root, labels, scaleX, height) {
  const g = svg('g', { class: 'axis axis-x' });
  const every = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((label, i) => {
    if (i % every !== 0 && i !== labels.length - 1) return;
    g.append(svg('text', { x: scaleX(i), y: height - MARGIN.bottom + 18, 'text-anchor': 'middle' }, String(label)));
  });
  root.append(g);
}

/**
 * Vertical bars, one group per label, one bar per series.
 * series: [{name, values: [number|null]}]; options: {title, format, height, yLabel}
 */
export function barChart({ title, labels, series, format = String, height = HEIGHT, width = WIDTH }) {
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const yTicks = ticks(Math.min(0, ...all), Math.max(0, ...all));
  const lo = yTicks[0];
  const hi = yTicks[yTicks.length - 1];
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const scaleY = (v) => MARGIN.top + plotH - ((v - lo) / (hi - lo || 1)) * plotH;
  const band = (width - MARGIN.left - MARGIN.right) / Math.max(1, labels.length);
  const scaleX = (i) => MARGIN.left + band * (i + 0.5);
  const description = `${series.map((s) => s.name).join(', ')} for ${labels.length} ${labels.length === 1 ? 'category' : 'categories'}, from ${labels[0] ?? ''} to ${labels[labels.length - 1] ?? ''}; highest ${format(Math.max(...all, 0))}.`;
  const root = frame(title, description, width, height);
  yAxis(root, scaleY, yTicks, format, width);
  const barW = Math.max(2, (band * 0.72) / series.length);
  series.forEach((s, k) => {
    const g = svg('g', { class: `series-${(s.colour ?? k) % 6}` });
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v) || v === 0) return;
      const x = scaleX(i) - (barW * series.length) / 2 + barW * k;
      const y0 = scaleY(0);
      const y1 = scaleY(v);
      const rect = svg('rect', { x, y: Math.min(y0, y1), width: barW - 1, height: Math.max(1, Math.abs(y1 - y0)), rx: 2, class: 'bar' });
      rect.append(svg('title', {}, `${labels[i]} · ${s.name}: ${format(v)}`));
      g.append(rect);
    });
    root.append(g);
  });
  xLabels(root, labels, scaleX, height);
  return h('figure.chart-box', h('figcaption', title), root, legend(series),
    dataTable(title, ['', ...series.map((s) => s.name)], labels.map((l, i) => [l, ...series.map((s) => format(s.values[i]))])));
}

/**
 * Lines over shared x labels. series: [{name, values: [number|null], dashed?, area?}].
 */
export function lineChart({ title, labels, series, format = String, height = HEIGHT, width = WIDTH, min, max }) {
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const yTicks = ticks(min ?? Math.min(0, ...all), max ?? Math.max(...all, 0));
  const lo = yTicks[0];
  const hi = yTicks[yTicks.length - 1];
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const plotW = width - MARGIN.left - MARGIN.right;
  const scaleY = (v) => MARGIN.top + plotH - ((v - lo) / (hi - lo || 1)) * plotH;
  const scaleX = (i) => MARGIN.left + (labels.length <= 1 ? plotW / 2 : (plotW * i) / (labels.length - 1));
  const description = `${series.map((s) => s.name).join(' and ')} over ${labels.length} points, from ${labels[0] ?? ''} to ${labels[labels.length - 1] ?? ''}.`;
  const root = frame(title, description, width, height);
  yAxis(root, scaleY, yTicks, format, width);
  series.forEach((s, k) => {
    const points = s.values.map((v, i) => (Number.isFinite(v) ? [scaleX(i), scaleY(v)] : null));
    const g = svg('g', { class: `series-${(s.colour ?? k) % 6}` });
    let d = '';
    let pen = false;
    for (const p of points) {
      if (!p) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
      pen = true;
    }
    if (s.area && d) {
      const first = points.find(Boolean);
      const last = [...points].reverse().find(Boolean);
      g.append(svg('path', { d: `${d}L${last[0].toFixed(1)},${scaleY(lo)}L${first[0].toFixed(1)},${scaleY(lo)}Z`, class: 'area' }));
    }
    g.append(svg('path', { d, class: s.dashed ? 'line dashed' : 'line' }));
    points.forEach((p, i) => {
      if (!p || labels.length > 40) return;
      const dot = svg('circle', { cx: p[0], cy: p[1], r: 3, class: 'dot' });
      dot.append(svg('title', {}, `${labels[i]} · ${s.name}: ${format(s.values[i])}`));
      g.append(dot);
    });
    root.append(g);
  });
  xLabels(root, labels, scaleX, height);
  return h('figure.chart-box', h('figcaption', title), root, legend(series),
    dataTable(title, ['', ...series.map((s) => s.name)], labels.map((l, i) => [l, ...series.map((s) => format(s.values[i]))])));
}

/**
 * Point estimates with intervals on a horizontal axis around zero (a forest plot):
 * rows: [{label, value, lower, upper, verdict: 'better'|'worse'|'inconclusive'}].
 */
export function intervalChart({ title, rows, format = String, width = WIDTH }) {
  const rowH = 34;
  const height = MARGIN.top + rows.length * rowH + 36;
  const left = 230;
  const values = rows.flatMap((r) => [r.lower, r.upper, r.value]).filter(Number.isFinite);
  const bound = Math.max(1e-9, ...values.map(Math.abs));
  const xTicks = ticks(-bound, bound, 6);
  const lo = xTicks[0];
  const hi = xTicks[xTicks.length - 1];
  const plotW = width - left - MARGIN.right;
  const scaleX = (v) => left + ((v - lo) / (hi - lo || 1)) * plotW;
  const description = rows.map((r) => `${r.label}: ${format(r.value)} (interval ${format(r.lower)} to ${format(r.upper)})`).join('; ');
  const root = frame(title, description, width, height);
  const axis = svg('g', { class: 'axis axis-x' });
  for (const t of xTicks) {
    const x = scaleX(t);
    axis.append(svg('line', { x1: x, x2: x, y1: MARGIN.top - 4, y2: height - 30, class: t === 0 ? 'zero' : 'grid' }));
    axis.append(svg('text', { x, y: height - 12, 'text-anchor': 'middle' }, format(t)));
  }
  root.append(axis);
  rows.forEach((r, i) => {
    const y = MARGIN.top + i * rowH + rowH / 2;
    const g = svg('g', { class: `interval verdict-${r.verdict || 'inconclusive'}` });
    const label = r.label.length > 32 ? `${r.label.slice(0, 31)}…` : r.label;
    g.append(svg('text', { x: left - 10, y: y + 4, 'text-anchor': 'end', class: 'row-label' }, label));
    if (Number.isFinite(r.lower) && Number.isFinite(r.upper)) {
      g.append(svg('line', { x1: scaleX(r.lower), x2: scaleX(r.upper), y1: y, y2: y, class: 'whisker' }));
      g.append(svg('line', { x1: scaleX(r.lower), x2: scaleX(r.lower), y1: y - 6, y2: y + 6, class: 'whisker' }));
      g.append(svg('line', { x1: scaleX(r.upper), x2: scaleX(r.upper), y1: y - 6, y2: y + 6, class: 'whisker' }));
    }
    if (Number.isFinite(r.value)) {
      const dot = svg('circle', { cx: scaleX(r.value), cy: y, r: 6, class: 'estimate' });
      dot.append(svg('title', {}, `${r.label}: ${format(r.value)} [${format(r.lower)}, ${format(r.upper)}]`));
      g.append(dot);
    }
    root.append(g);
  });
  return h('figure.chart-box', h('figcaption', title), root,
    dataTable(title, ['', 'estimate', 'lower', 'upper'], rows.map((r) => [r.label, format(r.value), format(r.lower), format(r.upper)])));
}

/** A horizontal meter: value of total, with an optional marker (where pacing says it should be). */
export function meter({ label, value, total, marker, format = String }) {
  const share = total > 0 ? Math.min(1, value / total) : 0;
  const bar = h('div.meter-bar');
  const fill = h('div.meter-fill');
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  bar.append(fill);
  if (Number.isFinite(marker) && total > 0) {
    const m = h('div.meter-marker', { title: `expected by now: ${format(marker)}` });
    m.style.left = `${Math.min(100, (marker / total) * 100).toFixed(1)}%`;
    bar.append(m);
  }
  return h('div.meter', { role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': value, 'aria-label': label },
    h('div.meter-text', h('span', label), h('span', `${format(value)} of ${format(total)} (${(share * 100).toFixed(1)}%)`)), bar);
}

/** A chart from an analytics answer's chart spec over its table. */
export function chartFromSpec(spec, table, formatFor) {
  const keys = table.columns.map((c) => c.key);
  const xi = keys.indexOf(spec.x);
  if (xi < 0) return null;
  const labels = table.rows.map((r) => r[xi] ?? '–');
  const series = spec.y
    .map((key) => ({ key, index: keys.indexOf(key) }))
    .filter((s) => s.index >= 0)
    .map(({ key, index }) => ({
      name: table.columns[index].label || key,
      values: table.rows.map((r) => (typeof r[index] === 'number' ? r[index] : Number(r[index]))),
      format: table.columns[index].format,
    }));
  if (!series.length) return null;
  const format = formatFor(series[0].format);
  const make = spec.type === 'line' ? lineChart : barChart;
  // Drawn narrower than the consoles' charts: it lives in the chat panel, and its text should stay legible there.
  return make({ title: spec.title, labels, series, format, width: 420, height: 240 });
}
