// The ads console: advertisers, campaigns and creatives with their delivery, spend against budget,
// pacing against the day's traffic curve and CTR over time; forms to create and edit campaigns and
// creatives, with the API's validation messages shown at the field they name.

import { api, hasKey, qs, ApiError } from './api.js';
import { h, clear, fmt, notice, toast, field, select, showFieldError, statusBadge } from './ui.js';
import { barChart, lineChart, meter } from './charts.js';

const DEVICES = ['tv', 'web', 'mobile', 'tablet'];
const PLANS = ['adFree', 'standardWithAds', 'basicWithAds'];
const DAYPARTS = ['morning', 'afternoon', 'evening', 'late-night'];
const MATURITY = ['ALL', '7+', '13+', '16+', '18+'];
const REGIONS = ['us-northeast', 'us-southeast', 'us-midwest', 'us-south', 'us-west'];

export function needsAdmin(what) {
  return h('section.needs-key',
    h('h1', what),
    notice('warn', `The ${what.toLowerCase()} needs an admin API key.`,
      h('p', h('button.primary', { type: 'button', onclick: () => window.dispatchEvent(new CustomEvent('marquee:open-keys', { detail: { reason: `The ${what.toLowerCase()} needs an admin key.` } })) }, 'Enter an API key'))));
}

async function allPages(path) {
  const items = [];
  for (let offset = 0; offset < 5000; offset += 500) {
    const page = await api.admin.get(`${path}${path.includes('?') ? '&' : '?'}limit=500&offset=${offset}`);
    items.push(...page.items);
    if (page.items.length < 500) break;
  }
  return items;
}

function targetingSummary(t = {}) {
  const parts = [];
  if (t.regions?.length) parts.push(`regions ${t.regions.join(', ')}`);
  if (t.devices?.length) parts.push(`on ${t.devices.join(', ')}`);
  if (t.plans?.length) parts.push(`plans ${t.plans.join(', ')}`);
  if (t.genres?.length) parts.push(`in ${t.genres.join(', ')}`);
  if (t.maxContentMaturity) parts.push(`content up to ${t.maxContentMaturity}`);
  if (t.dayparts?.length) parts.push(`${t.dayparts.join(', ')}`);
  if (t.audiences?.length) parts.push(`audiences ${t.audiences.join(', ')}`);
  return parts.length ? parts.join(' · ') : 'everyone';
}

function capsSummary(c) {
  const caps = [];
  if (c.capPerDay) caps.push(`${c.capPerDay}/day`);
  if (c.capPerWeek) caps.push(`${c.capPerWeek}/week`);
  if (c.capPerSession) caps.push(`${c.capPerSession}/session`);
  return caps.length ? caps.join(' · ') : 'no caps';
}

/** How far into its UTC day the server is now (0–1), and the curve's expected share by then. */
function expectedShare(curve, fraction) {
  if (!curve?.length) return fraction;
  const hours = fraction * 24;
  const whole = Math.floor(hours);
  let share = 0;
  for (let i = 0; i < whole && i < curve.length; i++) share += curve[i];
  if (whole < curve.length) share += curve[whole] * (hours - whole);
  return share;
}

function utcFraction() {
  const now = new Date();
  return (now.getUTCHours() * 3600 + now.getUTCMinutes() * 60 + now.getUTCSeconds()) / 86400;
}

// MARK: Overview

export async function overview() {
  if (!hasKey('admin')) return { node: needsAdmin('Ads console') };
  const [advertisers, campaigns, creatives, delivery] = await Promise.all([
    allPages('/v1/advertisers'), allPages('/v1/campaigns'), allPages('/v1/creatives'), api.admin.get('/v1/campaign-delivery'),
  ]);
  const spend = new Map(delivery.items.map((d) => [d.campaignId, d]));
  const byAdvertiser = new Map(advertisers.map((a) => [a.id, a]));
  const creativeCount = new Map();
  for (const c of creatives) creativeCount.set(c.campaignId, (creativeCount.get(c.campaignId) || 0) + 1);
  const active = campaigns.filter((c) => c.status === 'active');
  const totalSpent = delivery.items.reduce((s, d) => s + d.spentCents, 0);
  const todaySpent = delivery.items.reduce((s, d) => s + d.spentTodayCents, 0);
  const totalImpressions = delivery.items.reduce((s, d) => s + d.impressions, 0);
  const filter = h('input#campaign-filter', { type: 'search', placeholder: 'Filter campaigns or advertisers', 'aria-label': 'Filter campaigns' });
  const tbody = h('tbody');
  const rows = campaigns.map((c) => {
    const d = spend.get(c.id);
    const spent = d?.spentCents || 0;
    const share = c.totalBudgetCents ? spent / c.totalBudgetCents : 0;
    const bar = h('span.mini-bar-fill');
    bar.style.width = `${Math.min(100, share * 100).toFixed(1)}%`;
    const tr = h('tr', { dataset: { campaign: c.id, search: `${c.name} ${c.id} ${byAdvertiser.get(c.advertiserId)?.name || ''}`.toLowerCase() } },
      h('th', { scope: 'row' }, h('a', { href: `#/ads/campaign/${encodeURIComponent(c.id)}` }, c.name), h('small.muted', c.id)),
      h('td', byAdvertiser.get(c.advertiserId)?.name || c.advertiserId),
      h('td', statusBadge(c.status)),
      h('td', h('span.priority', c.priority)),
      h('td.num', fmt.count(d?.impressions || 0)),
      h('td', h('div.spend-cell', h('span', `${fmt.compactMoney(spent)} / ${fmt.compactMoney(c.totalBudgetCents)}`), h('span.mini-bar', { 'aria-hidden': 'true' }, bar))),
      h('td.num', `$${(c.cpmBidCents / 100).toFixed(2)}`),
      h('td', c.pacing === 'even' ? 'even' : 'ASAP'),
      h('td.num', creativeCount.get(c.id) || 0));
    tbody.append(tr);
    return tr;
  });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const tr of rows) tr.hidden = q && !tr.dataset.search.includes(q);
  });
  const node = h('section.console',
    h('div.console-head',
      h('div', h('h1', 'Ads console'), h('p.lead', 'Advertisers, campaigns and creatives of the ad book, with what they delivered.')),
      h('div.actions', h('a.button.primary#new-campaign', { href: '#/ads/new-campaign' }, '+ New campaign'))),
    h('div.kpis',
      kpi('Active campaigns', `${active.length} of ${campaigns.length}`),
      kpi('Advertisers', fmt.count(advertisers.length)),
      kpi('Impressions delivered', fmt.count(totalImpressions)),
      kpi('Spent', fmt.money(totalSpent)),
      kpi(`Spent today (${delivery.today}, UTC)`, fmt.money(todaySpent))),
    h('div.table-tools', filter),
    h('div.table-wrap', h('table.data#campaigns',
      h('caption.sr-only', 'Campaigns'),
      h('thead', h('tr', ['Campaign', 'Advertiser', 'Status', 'Priority', 'Impressions', 'Spend / budget', 'CPM bid', 'Pacing', 'Creatives'].map((c) => h('th', { scope: 'col' }, c)))),
      tbody)),
    h('h2', 'Advertisers'),
    h('ul.advertisers', advertisers.map((a) => {
      const n = campaigns.filter((c) => c.advertiserId === a.id).length;
      return h('li', h('strong', a.name), h('span.muted', ` ${a.category} · ${n} campaign${n === 1 ? '' : 's'}`));
    })));
  return { node, title: 'Ads console', className: 'wide' };
}

function kpi(label, value, sub) {
  return h('div.kpi', h('p.kpi-label', label), h('p.kpi-value', value), sub ? h('p.kpi-sub', sub) : null);
}

// MARK: Campaign

export async function campaign({ params }) {
  if (!hasKey('admin')) return { node: needsAdmin('Ads console') };
  const id = params[0];
  let c;
  try {
    c = await api.admin.get(`/v1/campaigns/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new Error(`There is no campaign '${id}'.`);
    throw error;
  }
  const [advertiser, creatives, delivery] = await Promise.all([
    api.admin.get(`/v1/advertisers/${encodeURIComponent(c.advertiserId)}`).catch(() => null),
    allPages(`/v1/creatives?campaign=${encodeURIComponent(id)}`),
    api.admin.get(`/v1/campaigns/${encodeURIComponent(id)}/delivery?days=14`),
  ]);
  const labels = delivery.days.map((d) => d.date.slice(5));
  const impressions = delivery.days.map((d) => d.impressions);
  const clicks = delivery.days.reduce((s, d) => s + d.clicks, 0);
  const windowImpressions = impressions.reduce((s, n) => s + n, 0);
  const ctr = delivery.days.map((d) => (d.impressions ? d.clicks / d.impressions : null));
  const spend = delivery.days.map((d) => d.spentCents);
  // Cumulative spend within the window, starting from what was spent before it.
  const before = delivery.spentCents - spend.reduce((s, v) => s + v, 0);
  let running = Math.max(0, before);
  const cumulative = spend.map((v) => (running += v));
  const fraction = utcFraction();
  const expectedToday = c.dailyBudgetCents ? c.dailyBudgetCents * expectedShare(delivery.trafficCurve, fraction) : null;

  const pacingHost = h('div.pacing');
  const withDelivery = delivery.days.filter((d) => d.impressions > 0);
  const pacingDay = delivery.days[delivery.days.length - 1].impressions > 0 ? delivery.days[delivery.days.length - 1] : withDelivery[withDelivery.length - 1];
  const daySelect = select('pacing-day', delivery.days.slice().reverse().map((d) => [d.date, `${d.date}${d.date === delivery.today ? ' (today)' : ''} · ${fmt.count(d.impressions)} impressions`]), pacingDay?.date || delivery.today);
  daySelect.id = 'pacing-day';
  const drawPacing = () => {
    const day = delivery.days.find((d) => d.date === daySelect.value);
    clear(pacingHost);
    pacingHost.append(pacingChart(day, delivery, c));
  };
  daySelect.addEventListener('change', drawPacing);
  drawPacing();

  const t = c.targeting || {};
  const node = h('section.console.campaign-page',
    h('p.crumbs', h('a', { href: '#/ads' }, 'Ads console'), ' › ', advertiser?.name || c.advertiserId),
    h('div.console-head',
      h('div', h('h1', c.name, ' ', statusBadge(c.status)),
        h('p.lead', `${advertiser?.name || c.advertiserId} · ${c.priority} · ${c.pacing === 'even' ? 'even pacing' : 'as fast as possible'} · flight ${fmt.date(c.startsAt)} – ${fmt.date(c.endsAt)}`)),
      h('div.actions',
        h('a.button', { href: `#/ads/campaign/${encodeURIComponent(id)}/edit` }, 'Edit'),
        c.status === 'active'
          ? h('button', { type: 'button', onclick: () => setStatus(c, 'paused') }, 'Pause')
          : h('button', { type: 'button', onclick: () => setStatus(c, 'active') }, c.status === 'archived' ? 'Restore' : 'Resume'),
        c.status !== 'archived' ? h('button.danger', { type: 'button', onclick: () => archive(c) }, 'Archive') : null)),
    h('div.kpis',
      kpi('Impressions (flight)', fmt.count(delivery.impressions), `${fmt.count(windowImpressions)} in the last 14 days`),
      kpi('Clicks (14 days)', fmt.count(clicks), `CTR ${fmt.percent(windowImpressions ? clicks / windowImpressions : null, 2)}`),
      kpi('CPM bid', fmt.money(c.cpmBidCents)),
      kpi('Caps', capsSummary(c))),
    h('div.meters',
      meter({ label: 'Total budget', value: delivery.spentCents, total: c.totalBudgetCents, format: fmt.money }),
      c.dailyBudgetCents
        ? meter({ label: `Today’s budget (${delivery.today}, UTC)`, value: delivery.spentTodayCents, total: c.dailyBudgetCents, marker: expectedToday, format: fmt.money })
        : h('p.muted', 'No daily budget: the campaign spends against its total budget only.')),
    h('div.chart-grid',
      barChart({ title: 'Impressions per day', labels, series: [{ name: 'Impressions', values: impressions }], format: fmt.count }),
      againstBudget('Spend per day', 'Daily budget', labels, spend, c.dailyBudgetCents),
      againstBudget('Spend so far', 'Total budget', labels, cumulative, c.totalBudgetCents, true),
      lineChart({ title: 'Click-through rate per day', labels, series: [{ name: 'CTR', values: ctr, colour: 1 }], format: (v) => fmt.percent(v, 2) }),
      h('div.pacing-box', h('div.pacing-head', h('label', { for: 'pacing-day' }, 'Pacing on'), daySelect), pacingHost)),
    h('div.two-col',
      h('section', h('h2', 'Targeting'),
        h('dl.facts',
          fact('Regions', t.regions?.join(', ') || 'all'), fact('Devices', t.devices?.join(', ') || 'all'),
          fact('Plans', t.plans?.join(', ') || 'all ad plans'), fact('Content genres', t.genres?.join(', ') || 'all'),
          fact('Content maturity', t.maxContentMaturity ? `up to ${t.maxContentMaturity}` : 'any'),
          fact('Dayparts', t.dayparts?.join(', ') || 'all day'), fact('Audiences', t.audiences?.join(', ') || 'everyone'),
          fact('Competitive category', c.competitiveCategory || advertiser?.category || '–'))),
      h('section', h('h2', 'Frequency caps'),
        h('dl.facts', fact('Per day', c.capPerDay ?? 'none'), fact('Per week', c.capPerWeek ?? 'none'), fact('Per session', c.capPerSession ?? 'none')))),
    h('section',
      h('div.section-head', h('h2', 'Creatives'), h('a.button', { href: `#/ads/campaign/${encodeURIComponent(id)}/new-creative` }, '+ New creative')),
      creatives.length ? h('div.table-wrap', h('table.data#creatives',
        h('thead', h('tr', ['Creative', 'Length', 'Status', 'Category', 'Click-through', ''].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', creatives.map((cr) => h('tr',
          h('th', { scope: 'row' }, cr.name, h('small.muted', cr.id)), h('td', `${cr.durationSeconds} s`), h('td', statusBadge(cr.status)),
          h('td', cr.category || '–'), h('td', h('span.url', cr.clickUrl)),
          h('td', h('a', { href: `#/ads/creative/${encodeURIComponent(cr.id)}/edit` }, 'Edit'))))))) : h('p.muted', 'No creatives yet: the campaign cannot serve until it has one.')));
  return { node, title: c.name, className: 'wide' };
}

/**
 * Spend against a budget line. A budget far above the spend would flatten the spend to the axis, so below
 * a tenth of it the line is left out and the share is said in words instead.
 */
function againstBudget(what, budgetName, labels, values, budget, cumulative = false) {
  const peak = Math.max(0, ...values.filter(Number.isFinite));
  const title = budget ? `${what} against the ${budgetName.toLowerCase()}` : what;
  const series = [{ name: cumulative ? 'Spent (cumulative)' : 'Spend', values, area: true }];
  const drawn = budget && peak >= budget / 10;
  if (drawn) series.push({ name: budgetName, values: labels.map(() => budget), dashed: true, colour: 3 });
  const chart = lineChart({ title, labels, series, format: fmt.compactMoney });
  if (budget && !drawn) {
    chart.append(h('p.chart-note', `${budgetName}: ${fmt.money(budget)} — ${cumulative ? 'spent so far' : 'the busiest day spent'} ${fmt.percent(peak / budget, 2)} of it.`));
  } else if (!budget) {
    chart.append(h('p.chart-note', 'No daily budget: the campaign spends against its total budget only.'));
  }
  return chart;
}

function fact(label, value) {
  return [h('dt', label), h('dd', String(value))];
}

/**
 * A day's delivery hour by hour against the traffic curve even pacing follows. When the day's spend came near
 * its daily budget (a tenth or more), in dollars against the budget spread over the curve; otherwise the budget
 * did not bind, and the chart compares the shapes: the share of the day's delivery so far against the curve's.
 */
function pacingChart(day, delivery, c) {
  if (!day) return h('p.muted', 'Nothing delivered in these days.');
  const isToday = day.date === delivery.today;
  const lastHour = isToday ? Math.min(23, Math.floor(utcFraction() * 24)) : 23;
  const labels = day.hourlyImpressions.map((_, i) => `${String(i + 1).padStart(2, '0')}:00`);
  const binding = c.dailyBudgetCents && day.spentCents >= c.dailyBudgetCents / 10;
  const price = day.impressions ? day.spentCents / day.impressions : c.cpmBidCents / 1000;
  let acc = 0;
  let expected = 0;
  if (binding) {
    const actual = day.hourlyImpressions.map((n, i) => ((acc += n), i <= lastHour ? acc * price : null));
    const curve = delivery.trafficCurve.map((w) => (expected += w) * c.dailyBudgetCents);
    return h('div',
      lineChart({
        title: `Spend through ${day.date} (UTC) against the day’s traffic curve`, labels, format: fmt.compactMoney,
        series: [{ name: 'Spent (cumulative)', values: actual, area: true }, { name: 'Daily budget × traffic curve', values: curve, dashed: true, colour: 3 }],
      }),
      h('p.muted', `${fmt.count(day.impressions)} impressions, ${fmt.money(day.spentCents)} spent. The dashed line is where even pacing aims: the daily budget spread over the hours as ad traffic comes.`));
  }
  const soFar = day.hourlyImpressions.slice(0, lastHour + 1).reduce((s, n) => s + n, 0);
  const curveSoFar = delivery.trafficCurve.slice(0, lastHour + 1).reduce((s, w) => s + w, 0) || 1;
  const actual = day.hourlyImpressions.map((n, i) => ((acc += n), i <= lastHour && soFar ? acc / soFar : null));
  const curve = delivery.trafficCurve.map((w, i) => ((expected += w), i <= lastHour ? expected / curveSoFar : null));
  const budget = c.dailyBudgetCents
    ? `${fmt.percent(day.spentCents / c.dailyBudgetCents, 2)} of its ${fmt.money(c.dailyBudgetCents)} daily budget, so the budget did not hold delivery back and it followed the traffic`
    : 'no daily budget, so delivery followed the traffic';
  return h('div',
    lineChart({
      title: `Delivery through ${day.date} (UTC), hour by hour, against the traffic curve`, labels, format: (v) => fmt.percent(v, 0), min: 0, max: 1,
      series: [{ name: 'Share of the day’s impressions', values: actual, area: true }, { name: 'Traffic curve', values: curve, dashed: true, colour: 3 }],
    }),
    h('p.muted', `${fmt.count(day.impressions)} impressions${isToday ? ' so far' : ''}, ${fmt.money(day.spentCents)} spent: ${budget}. The dashed line is the share of a day’s ad opportunities that come by each hour, which even pacing spreads a budget over.`));
}

async function setStatus(c, status) {
  try {
    const { id, ...rest } = c;
    await api.admin.put(`/v1/campaigns/${encodeURIComponent(id)}`, campaignInputOf({ ...rest, status }));
    toast(`Campaign ${status === 'paused' ? 'paused' : 'active again'}`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (error) {
    toast(error.message, 'error');
  }
}

async function archive(c) {
  if (!window.confirm(`Archive "${c.name}"? It stops serving; a later edit can restore it.`)) return;
  try {
    await api.admin.del(`/v1/campaigns/${encodeURIComponent(c.id)}`);
    toast('Campaign archived');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (error) {
    toast(error.message, 'error');
  }
}

/** The writable fields of a stored campaign, as a PUT takes them. */
function campaignInputOf(c) {
  const out = {};
  for (const k of ['advertiserId', 'name', 'status', 'startsAt', 'endsAt', 'totalBudgetCents', 'dailyBudgetCents', 'cpmBidCents', 'priority', 'pacing', 'capPerDay', 'capPerWeek', 'capPerSession', 'competitiveCategory']) {
    if (c[k] !== undefined && c[k] !== null) out[k] = c[k];
  }
  const t = {};
  for (const [k, v] of Object.entries(c.targeting || {})) if (v !== undefined && v !== null && !(Array.isArray(v) && !v.length)) t[k] = v;
  out.targeting = t;
  return out;
}

// MARK: Forms

function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function fromLocalInput(value) {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace('.000Z', 'Z');
}

function checkboxes(name, values, checked = []) {
  return h('fieldset.checks', { dataset: { field: name }, class: 'checks field' },
    values.map((v) => h('label.check', h('input', { type: 'checkbox', name, value: v, checked: checked.includes(v) }), v)),
    h('p.field-error', { 'aria-live': 'polite' }));
}

function dollarsInput(name, cents) {
  return h('input', { name, type: 'text', inputmode: 'decimal', value: cents !== undefined && cents !== null ? (cents / 100).toString() : '' });
}

function numberOrText(value, scale = 1) {
  if (value === '' || value === null || value === undefined) return undefined;
  const n = Number(String(value).replace(/[$,\s]/g, ''));
  return Number.isFinite(n) ? Math.round(n * scale) : value;
}

function list(value) {
  const items = String(value || '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

export async function campaignForm({ params }) {
  if (!hasKey('admin')) return { node: needsAdmin('Ads console') };
  const id = params[0];
  const [advertisers, existing] = await Promise.all([
    allPages('/v1/advertisers'),
    id ? api.admin.get(`/v1/campaigns/${encodeURIComponent(id)}`) : Promise.resolve(null),
  ]);
  const c = existing || {
    startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 30 * 86400000).toISOString(),
    priority: 'standard', pacing: 'even', status: 'active', targeting: {},
  };
  const t = c.targeting || {};
  const input = (name, value, attrs = {}) => h('input', { name, type: 'text', value: value ?? '', ...attrs });
  const form = h('form.editor#campaign-form', { novalidate: true },
    h('p.form-error', { role: 'alert' }),
    h('fieldset', h('legend', 'Campaign'),
      existing ? null : field('Id (optional)', input('id', '', { placeholder: 'cmp-… when empty' })),
      field('Advertiser', select('advertiserId', advertisers.map((a) => [a.id, `${a.name} (${a.category})`]), c.advertiserId)),
      field('Name', input('name', c.name)),
      field('Status', select('status', ['active', 'paused', 'archived'], c.status)),
      h('div.field-row',
        field('Flight starts', input('startsAt', toLocalInput(c.startsAt), { type: 'datetime-local' })),
        field('Flight ends', input('endsAt', toLocalInput(c.endsAt), { type: 'datetime-local' })))),
    h('fieldset', h('legend', 'Budget and bid'),
      h('div.field-row',
        field('Total budget ($)', dollarsInput('totalBudgetCents', c.totalBudgetCents)),
        field('Daily budget ($, optional)', dollarsInput('dailyBudgetCents', c.dailyBudgetCents)),
        field('CPM bid ($)', dollarsInput('cpmBidCents', c.cpmBidCents))),
      h('div.field-row',
        field('Priority', select('priority', [['sponsorship', 'Sponsorship'], ['standard', 'Standard'], ['house', 'House']], c.priority)),
        field('Pacing', select('pacing', [['even', 'Even'], ['asFastAsPossible', 'As fast as possible']], c.pacing)))),
    h('fieldset', h('legend', 'Frequency caps (per viewer)'),
      h('div.field-row',
        field('Per day', input('capPerDay', c.capPerDay, { inputmode: 'numeric' })),
        field('Per week', input('capPerWeek', c.capPerWeek, { inputmode: 'numeric' })),
        field('Per session', input('capPerSession', c.capPerSession, { inputmode: 'numeric' })))),
    h('fieldset', h('legend', 'Targeting (empty: no restriction)'),
      h('p.group-label', 'Regions'), checkboxes('targeting.regions', REGIONS, t.regions),
      h('p.group-label', 'Devices'), checkboxes('targeting.devices', DEVICES, t.devices),
      h('p.group-label', 'Plans'), checkboxes('targeting.plans', PLANS.filter((p) => p !== 'adFree'), t.plans),
      h('p.group-label', 'Dayparts'), checkboxes('targeting.dayparts', DAYPARTS, t.dayparts),
      h('div.field-row',
        field('Content genres', input('targeting.genres', (t.genres || []).join(', ')), 'Comma-separated, e.g. drama, comedy'),
        field('Most mature content', select('targeting.maxContentMaturity', [['', 'any'], ...MATURITY.map((m) => [m, m])], t.maxContentMaturity || '')),
        field('Audiences', input('targeting.audiences', (t.audiences || []).join(', ')), 'e.g. fans:sci-fi'),
        field('Competitive category', input('competitiveCategory', c.competitiveCategory), 'Lowercase; empty: the advertiser’s'))),
    h('div.actions',
      h('button.primary', { type: 'submit' }, existing ? 'Save campaign' : 'Create campaign'),
      h('a.button', { href: existing ? `#/ads/campaign/${encodeURIComponent(id)}` : '#/ads' }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const get = (k) => data.get(k);
    const body = {
      advertiserId: get('advertiserId'), name: get('name'), status: get('status'),
      startsAt: fromLocalInput(get('startsAt')), endsAt: fromLocalInput(get('endsAt')),
      totalBudgetCents: numberOrText(get('totalBudgetCents'), 100), dailyBudgetCents: numberOrText(get('dailyBudgetCents'), 100),
      cpmBidCents: numberOrText(get('cpmBidCents'), 100), priority: get('priority'), pacing: get('pacing'),
      capPerDay: numberOrText(get('capPerDay')), capPerWeek: numberOrText(get('capPerWeek')), capPerSession: numberOrText(get('capPerSession')),
      competitiveCategory: get('competitiveCategory') || undefined,
      targeting: {
        regions: data.getAll('targeting.regions'), devices: data.getAll('targeting.devices'), plans: data.getAll('targeting.plans'),
        dayparts: data.getAll('targeting.dayparts'), genres: list(get('targeting.genres')), audiences: list(get('targeting.audiences')),
        maxContentMaturity: get('targeting.maxContentMaturity') || undefined,
      },
    };
    if (!existing && get('id')) body.id = get('id');
    for (const [k, v] of Object.entries(body.targeting)) if (v === undefined || (Array.isArray(v) && !v.length)) delete body.targeting[k];
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const saved = existing
        ? await api.admin.put(`/v1/campaigns/${encodeURIComponent(id)}`, body)
        : await api.admin.post('/v1/campaigns', body);
      toast(existing ? 'Campaign saved' : `Campaign “${saved.name}” created`);
      location.hash = `#/ads/campaign/${encodeURIComponent(saved.id)}`;
    } catch (error) {
      showFieldError(form, error);
    } finally {
      button.disabled = false;
    }
  });
  const node = h('section.console',
    h('p.crumbs', h('a', { href: '#/ads' }, 'Ads console'), ' › ', existing ? existing.name : 'New campaign'),
    h('h1', existing ? `Edit ${existing.name}` : 'New campaign'),
    h('p.lead', 'Marquee checks every field; a refusal shows its message at the field it names.'),
    form);
  return { node, title: existing ? `Edit ${existing.name}` : 'New campaign', afterMount: () => form.querySelector('input[name=name]')?.focus() };
}

async function creativeEditor(campaignId, existing) {
  const c = await api.admin.get(`/v1/campaigns/${encodeURIComponent(campaignId)}`);
  const cr = existing || { durationSeconds: 30, status: 'active', mediaUrl: 'https://ads.example/new-spot.mp4', clickUrl: '' };
  const input = (name, value, attrs = {}) => h('input', { name, type: 'text', value: value ?? '', ...attrs });
  const form = h('form.editor#creative-form', { novalidate: true },
    h('p.form-error', { role: 'alert' }),
    existing ? null : field('Id (optional)', input('id', '', { placeholder: 'cr-… when empty' })),
    field('Name', input('name', cr.name)),
    h('div.field-row',
      field('Length', select('durationSeconds', [6, 15, 30, 60].map((s) => [String(s), `${s} seconds`]), String(cr.durationSeconds))),
      field('Status', select('status', ['active', 'paused', 'archived'], cr.status))),
    field('Media URL', input('mediaUrl', cr.mediaUrl, { type: 'url' })),
    field('Click-through URL', input('clickUrl', cr.clickUrl, { type: 'url' })),
    field('Category (optional)', input('category', cr.category), 'Lowercase; empty: the campaign’s'),
    h('div.actions', h('button.primary', { type: 'submit' }, existing ? 'Save creative' : 'Create creative'),
      h('a.button', { href: `#/ads/campaign/${encodeURIComponent(campaignId)}` }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      campaignId, name: data.get('name'), durationSeconds: Number(data.get('durationSeconds')), status: data.get('status'),
      mediaUrl: data.get('mediaUrl'), clickUrl: data.get('clickUrl'), category: data.get('category') || undefined,
    };
    if (!existing && data.get('id')) body.id = data.get('id');
    try {
      if (existing) await api.admin.put(`/v1/creatives/${encodeURIComponent(existing.id)}`, body);
      else await api.admin.post('/v1/creatives', body);
      toast(existing ? 'Creative saved' : 'Creative created');
      location.hash = `#/ads/campaign/${encodeURIComponent(campaignId)}`;
    } catch (error) {
      showFieldError(form, error);
    }
  });
  const node = h('section.console',
    h('p.crumbs', h('a', { href: '#/ads' }, 'Ads console'), ' › ', h('a', { href: `#/ads/campaign/${encodeURIComponent(campaignId)}` }, c.name), ' › ', existing ? existing.name : 'New creative'),
    h('h1', existing ? `Edit ${existing.name}` : `New creative for ${c.name}`),
    form);
  return { node, title: existing ? `Edit ${existing.name}` : 'New creative', afterMount: () => form.querySelector('input[name=name]')?.focus() };
}

export async function creativeForm({ params }) {
  if (!hasKey('admin')) return { node: needsAdmin('Ads console') };
  return creativeEditor(params[0], null);
}

export async function creativeEditForm({ params }) {
  if (!hasKey('admin')) return { node: needsAdmin('Ads console') };
  const cr = await api.admin.get(`/v1/creatives/${encodeURIComponent(params[0])}`);
  return creativeEditor(cr.campaignId, cr);
}

export { qs };
