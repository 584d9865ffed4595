// The experiments page: running and stopped experiments, a report with per-variant metrics, their
// intervals as charts, the SRM and guardrail verdicts and the recommendation, and a form that starts
// an A/B test of one of the parameters the server lets experiments set.

import { api, hasKey, ApiError } from './api.js';
import { h, fmt, notice, toast, field, select, showFieldError, statusBadge } from './ui.js';
import { intervalChart, lineChart } from './charts.js';
import { needsAdmin } from './ads.js';

/** The metric catalog's keys (README, "Experiment metrics"). */
const METRICS = [
  'home_starts', 'viewing_minutes', 'sessions', 'recommended_viewing_share', 'time_to_select', 'distinct_genres',
  'active_day_7', 'active_day_28', 'churned', 'revenue_per_viewer', 'ad_impressions', 'ad_clicks', 'ad_skips', 'ad_ctr',
  'advertiser_revenue', 'ads_per_viewing_hour', 'ad_break_abandons',
];

const DECISIONS = {
  ship: ['Ship it', 'ship'],
  dontShip: ['Don’t ship', 'dont'],
  keepRunning: ['Keep running', 'keep'],
};

export async function list() {
  if (!hasKey('admin')) return { node: needsAdmin('Experiments') };
  const { items } = await api.admin.get('/v1/experiments');
  const running = items.filter((e) => e.status === 'running');
  const others = items.filter((e) => e.status !== 'running');
  const table = (rows, caption) => (rows.length
    ? h('div.table-wrap', h('table.data.experiments',
      h('caption', caption),
      h('thead', h('tr', ['Experiment', 'Status', 'Layer', 'Variants', 'Primary metric', 'Started', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', rows.map((e) => h('tr', { dataset: { experiment: e.key } },
        h('th', { scope: 'row' }, h('a', { href: `#/experiments/${encodeURIComponent(e.key)}` }, e.key), h('small.muted', e.hypothesis)),
        h('td', statusBadge(e.status)), h('td', e.layer),
        h('td', e.variants.map((v) => `${v.key} ${Math.round(v.weight * 100)}%`).join(' · ')),
        h('td', h('code', e.primaryMetric)), h('td', e.startedAt ? fmt.date(e.startedAt) : '–'),
        h('td', h('a.button.small', { href: `#/experiments/${encodeURIComponent(e.key)}` }, 'Report')))))))
    : h('p.muted', `No ${caption.toLowerCase()}.`));
  const node = h('section.console',
    h('div.console-head',
      h('div', h('h1', 'Experiments'), h('p.lead', 'A/B tests of the parameters that shape home pages and ad breaks, judged by the metric catalog.')),
      h('div.actions', h('a.button.primary#new-experiment', { href: '#/experiments/new' }, '+ Start an A/B test'))),
    h('h2', 'Running'), table(running, 'Running experiments'),
    h('h2', 'Drafts and stopped'), table(others, 'Draft and stopped experiments'));
  return { node, title: 'Experiments', className: 'wide' };
}

function parseValue(text) {
  const t = String(text).trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}

export async function form() {
  if (!hasKey('admin')) return { node: needsAdmin('Experiments') };
  const { items: parameters } = await api.admin.get('/v1/experiment-parameters');
  const parameter = select('parameter', parameters.map((p) => [p.name, p.name]), 'home.explorationShare');
  parameter.id = 'parameter';
  const help = h('p.hint#parameter-help');
  const treatment = h('input', { name: 'variants', type: 'text', id: 'treatment-value' });
  const layer = h('input', { name: 'layer', type: 'text', value: 'home' });
  const describe = () => {
    const p = parameters.find((x) => x.name === parameter.value);
    help.textContent = `${p.summary} Values: ${p.values}. Default: ${JSON.stringify(p.defaultValue)}.`;
    layer.value = p.surface === 'home' || p.name.startsWith('home.') ? 'home' : 'ads';
    if (!treatment.value) treatment.placeholder = `e.g. ${JSON.stringify(p.defaultValue)}`;
  };
  parameter.addEventListener('change', () => { treatment.value = ''; describe(); });
  const metricSelect = (name, value) => select(name, METRICS, value);
  const guardrails = h('fieldset.checks.field', { dataset: { field: 'guardrailMetrics' } },
    h('legend', 'Guardrails'),
    ['sessions', 'churned', 'viewing_minutes', 'ad_break_abandons'].map((m) => h('label.check', h('input', { type: 'checkbox', name: 'guardrailMetrics', value: m, checked: m === 'churned' }), m)),
    h('p.field-error'));
  const theForm = h('form.editor#experiment-form', { novalidate: true },
    h('p.form-error', { role: 'alert' }),
    h('div.field-row',
      field('Key', h('input', { name: 'key', type: 'text', placeholder: 'lowercase, e.g. explore-more' })),
      field('Layer', layer, 'Experiments in one layer never share a viewer')),
    field('Hypothesis', h('textarea', { name: 'hypothesis', rows: 2, placeholder: 'What should change, and why' })),
    h('div.field-row',
      h('div.field', h('label', { for: 'parameter' }, 'Parameter'), parameter, help),
      field('Treatment value', treatment, 'Control keeps the default')),
    h('div.field-row',
      field('Traffic (share of the layer)', h('input', { name: 'traffic', type: 'text', value: '1', inputmode: 'decimal' })),
      field('Treatment weight', h('input', { name: 'weight', type: 'text', value: '0.5', inputmode: 'decimal' })),
      field('Minimum detectable effect (relative)', h('input', { name: 'minimumDetectableEffect', type: 'text', value: '0.05', inputmode: 'decimal' }))),
    h('div.field-row',
      field('Primary metric', metricSelect('primaryMetric', 'home_starts')),
      guardrails),
    h('div.actions', h('button.primary', { type: 'submit' }, 'Start the test'), h('a.button', { href: '#/experiments' }, 'Cancel')));
  describe();
  theForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(theForm);
    const weight = Number(data.get('weight'));
    const body = {
      key: String(data.get('key') || '').trim() || undefined,
      hypothesis: data.get('hypothesis') || undefined,
      layer: data.get('layer') || undefined,
      traffic: Number(data.get('traffic')),
      status: 'running',
      variants: [
        { key: 'control', weight: Number((1 - weight).toFixed(6)) },
        { key: 'treatment', weight, overrides: { [parameter.value]: parseValue(treatment.value) } },
      ],
      primaryMetric: data.get('primaryMetric'),
      guardrailMetrics: data.getAll('guardrailMetrics'),
      minimumDetectableEffect: Number(data.get('minimumDetectableEffect')),
    };
    if (parameter.value.startsWith('ads.')) body.targeting = { plans: ['standardWithAds', 'basicWithAds'] };
    try {
      const saved = await api.admin.post('/v1/experiments', body);
      toast(`Experiment ${saved.key} is running`);
      location.hash = `#/experiments/${encodeURIComponent(saved.key)}`;
    } catch (error) {
      showFieldError(theForm, error);
    }
  });
  const node = h('section.console',
    h('p.crumbs', h('a', { href: '#/experiments' }, 'Experiments'), ' › New A/B test'),
    h('h1', 'Start an A/B test'),
    h('p.lead', 'Half the layer’s viewers (by default) get the treatment value; the rest keep the default. Marquee refuses a definition it cannot run, naming the field.'),
    theForm);
  return { node, title: 'New A/B test', afterMount: () => theForm.querySelector('input[name=key]').focus() };
}

export async function report({ params }) {
  if (!hasKey('admin')) return { node: needsAdmin('Experiments') };
  const key = params[0];
  let experiment;
  try {
    experiment = await api.admin.get(`/v1/experiments/${encodeURIComponent(key)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new Error(`There is no experiment '${key}'.`);
    throw error;
  }
  let r = null;
  let reportError = null;
  try {
    r = await api.admin.get(`/v1/experiments/${encodeURIComponent(key)}/report?format=json`);
  } catch (error) {
    reportError = error.message;
  }
  const head = h('div.console-head',
    h('div', h('h1', experiment.key, ' ', statusBadge(experiment.status)), h('p.lead', experiment.hypothesis || 'No hypothesis written.'),
      h('p.muted', `Layer ${experiment.layer} · ${Math.round(experiment.traffic * 100)}% of its viewers · ${experiment.variants.map((v) => `${v.key}${v.overrides && Object.keys(v.overrides).length ? ` (${Object.entries(v.overrides).map(([k, val]) => `${k} = ${JSON.stringify(val)}`).join(', ')})` : ' (defaults)'}`).join(' vs ')}`)),
    h('div.actions', experiment.status === 'running' ? h('button.danger', { type: 'button', onclick: () => stop(experiment) }, 'Stop experiment') : null));
  if (!r) {
    return { node: h('section.console', h('p.crumbs', h('a', { href: '#/experiments' }, 'Experiments'), ' › ', key), head, notice('error', `The report could not be computed: ${reportError}`)), title: key, className: 'wide' };
  }
  const rec = r.recommendation;
  const [decisionLabel, decisionClass] = DECISIONS[rec.decision] || [rec.decision, 'keep'];
  const control = r.variants[0]?.key;
  const rows = [];
  for (const m of r.metrics) {
    for (const v of m.variants) {
      const rel = v.comparison?.relative;
      if (v.variant === control || !rel) continue;
      rows.push({ label: `${m.name || m.metric}${r.variants.length > 2 ? ` · ${v.variant}` : ''}`, value: rel.effect, lower: rel.lower, upper: rel.upper, verdict: v.comparison.verdict });
    }
  }
  const primary = r.metrics.find((m) => m.role === 'primary') || r.metrics[0];
  const primarySeries = (r.series || []).find((s) => s.metric === primary?.metric);
  const node = h('section.console.report',
    h('p.crumbs', h('a', { href: '#/experiments' }, 'Experiments'), ' › ', key),
    head,
    h('div.verdicts',
      h(`div.verdict-card.decision-${decisionClass}#recommendation`, h('p.kpi-label', 'Recommendation'), h('p.verdict-title', decisionLabel, rec.variant ? ` · ${rec.variant}` : ''),
        h('p', rec.reason),
        rec.additionalUnitsPerVariant ? h('p.muted', `About ${fmt.count(rec.additionalUnitsPerVariant)} more units per variant needed.`) : null),
      h(`div.verdict-card.${r.sampleRatio.mismatch ? 'bad' : 'good'}#srm`, h('p.kpi-label', 'Sample ratio'),
        h('p.verdict-title', r.sampleRatio.mismatch ? 'Mismatch — investigate' : 'As planned'),
        h('p', r.sampleRatio.message), h('p.muted', `p = ${fmt.number(r.sampleRatio.pValue, 4)} · units ${r.sampleRatio.units.map(fmt.count).join(' / ')}`)),
      h('div.verdict-card#guardrails', h('p.kpi-label', 'Guardrails'),
        r.guardrails.length ? h('ul.guardrails', r.guardrails.map((g) => h(`li.guard-${g.outcome}`, h('strong', `${g.outcome === 'passed' ? '✓' : g.outcome === 'failed' ? '✗' : '?'} ${g.name}`), ` ${g.message}`))) : h('p.muted', 'No guardrails.'))),
    h('p.muted', `Analyzed ${new Date(r.analyzedAt).toLocaleString('en-US')} · ${r.daysRunning !== undefined && r.daysRunning !== null ? `${fmt.number(r.daysRunning, 1)} days running · ` : ''}${r.test === 'sequential' ? 'sequential test' : 'fixed-horizon test'} · α ${r.alpha} · correction ${r.correction}`),
    h('div.table-wrap', h('table.data#variants-table',
      h('caption', 'Per-variant metrics'),
      h('thead', h('tr', ['Metric', 'Variant', 'Units', 'Value', 'Difference vs control', '95% interval', 'p-value', 'Chance to win'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', r.metrics.flatMap((m) => m.variants.map((v, i) => {
        const cmp = v.comparison;
        const rel = cmp?.relative;
        return h('tr', { class: i === 0 ? 'metric-first' : '' },
          i === 0 ? h('th', { scope: 'rowgroup', rowspan: m.variants.length }, m.name || m.metric, h('small.muted', `${m.role}${m.higherIsBetter ? ' · higher is better' : ' · lower is better'}`)) : null,
          h('td', v.variant), h('td.num', fmt.count(v.units)), h('td.num', fmt.number(v.value, 4)),
          h('td.num', { class: cmp ? `verdict-${cmp.verdict}` : '' }, rel ? fmt.signedPercent(rel.effect, 2) : '–'),
          h('td.num', rel ? `${fmt.signedPercent(rel.lower, 1)} to ${fmt.signedPercent(rel.upper, 1)}` : '–'),
          h('td.num', cmp ? fmt.number(cmp.correctedPValue ?? cmp.pValue, 4) : '–'),
          h('td.num', cmp?.chanceToWin !== undefined && cmp?.chanceToWin !== null ? fmt.percent(cmp.chanceToWin, 0) : '–'));
      }))))),
    h('div.chart-grid',
      rows.length
        ? intervalChart({ title: 'Relative difference from control, with 95% intervals', rows, format: (x) => fmt.signedPercent(x, 1) })
        : h('p.muted', 'No intervals yet: a test needs units in every variant and values that differ between them.'),
      primarySeries && primarySeries.days.length
        ? lineChart({
          title: `${primary.name || primary.metric} over time`,
          labels: primarySeries.days.map((d) => new Date(d).toISOString().slice(5, 10)),
          series: r.variants.map((v, i) => ({ name: v.key, values: primarySeries.values[i] || [] })),
          format: (x) => fmt.number(x, 3),
        })
        : null));
  return { node, title: `${key} report`, className: 'wide' };
}

async function stop(experiment) {
  if (!window.confirm(`Stop ${experiment.key}? Its viewers go back to the defaults.`)) return;
  try {
    const { allocation, plannedUnitsPerVariant, createdAt, updatedAt, ...rest } = experiment;
    await api.admin.put(`/v1/experiments/${encodeURIComponent(experiment.key)}`, { ...rest, status: 'stopped' });
    toast('Experiment stopped');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (error) {
    toast(error.message, 'error');
  }
}
