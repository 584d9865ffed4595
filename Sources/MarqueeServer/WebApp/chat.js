// The analyst chat: questions in plain language to POST /v1/analytics/ask; each answer shows its text,
// key numbers, table, a chart drawn from its chart spec, and its SQL behind a toggle. Follow-ups carry
// the conversation id; a clarification offers its choices as buttons.

import { api, hasKey, ApiError } from './api.js';
import { h, clear, fmt } from './ui.js';
import { chartFromSpec } from './charts.js';

const formatFor = (format) => (value) => fmt.byKind(value, format);

let conversationId = null;

export function mount(panel, toggle) {
  const log = h('ol.chat-log', { 'aria-live': 'polite', 'aria-label': 'Conversation' });
  const input = h('textarea#chat-input', { rows: 2, placeholder: 'e.g. Which campaigns had the best CTR last week?', 'aria-label': 'Your question' });
  const send = h('button.primary#chat-send', { type: 'submit' }, 'Ask');
  const form = h('form.chat-form', input, send);
  const suggestions = h('div.suggestions',
    ['Impressions and clicks per day this week', 'Which advertisers spent the most?', 'CTR by device'].map((q) =>
      h('button.chip-button', { type: 'button', onclick: () => ask(q) }, q)));
  const close = h('button.icon-button.chat-close', { type: 'button', 'aria-label': 'Close the analyst chat', onclick: () => setOpen(false) }, '✕');
  panel.append(
    h('div.chat-head', h('h2', 'Ask the analyst'), h('button.link-button', { type: 'button', onclick: reset }, 'New conversation'), close),
    h('p.chat-intro', 'Questions about ads and viewing, answered from Marquee’s logs.'),
    suggestions, log, form);

  function setOpen(open) {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    document.body.classList.toggle('chat-open', open);
    if (open) input.focus();
  }
  toggle.addEventListener('click', () => setOpen(panel.hidden));

  function reset() {
    conversationId = null;
    clear(log);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (q) ask(q);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  async function ask(question) {
    input.value = '';
    log.append(h('li.msg.msg-user', h('p', question)));
    if (!hasKey('admin')) {
      log.append(h('li.msg.msg-error', { role: 'alert' }, h('p', 'The analyst needs an admin API key (API keys, top right).')));
      return;
    }
    const pending = h('li.msg.msg-bot.pending', h('span.spinner', { 'aria-hidden': 'true' }), 'Working it out…');
    log.append(pending);
    pending.scrollIntoView({ block: 'end' });
    send.disabled = true;
    try {
      const answer = await api.admin.post('/v1/analytics/ask', { question, ...(conversationId ? { conversationId } : {}) });
      conversationId = answer.conversationId || conversationId;
      pending.replaceWith(renderAnswer(answer, ask));
    } catch (error) {
      const message = error instanceof ApiError && error.status === 404 && error.code === 'not_found' && /route/.test(error.message)
        ? 'The analyst is not available on this server yet (POST /v1/analytics/ask answered 404: no such route).'
        : `The analyst could not answer: ${error.message}`;
      pending.replaceWith(h('li.msg.msg-error', { role: 'alert', dataset: { status: error.status ?? '' } }, h('p', message)));
    } finally {
      send.disabled = false;
      log.lastElementChild?.scrollIntoView({ block: 'end' });
    }
  }
}

function renderAnswer(answer, ask) {
  const item = h('li.msg.msg-bot');
  item.append(h('p.answer-text', answer.answer));
  if (answer.numbers?.length) {
    item.append(h('dl.answer-numbers', answer.numbers.map((n) => h('div', h('dt', n.label), h('dd', fmt.number(n.value, 4))))));
  }
  if (answer.clarification) {
    item.append(h('div.clarification', h('p', answer.clarification.question),
      h('div.choices', answer.clarification.choices.map((choice) => h('button.chip-button', { type: 'button', onclick: () => ask(choice) }, choice)))));
  }
  const table = answer.table;
  if (table?.columns?.length) {
    if (answer.chart) {
      const chart = chartFromSpec(answer.chart, table, formatFor);
      if (chart) item.append(chart);
    }
    const rows = table.rows.slice(0, 50);
    // Ids stay in the data (for links and charts); people read the names.
    const shown = table.columns.map((c, i) => i).filter((i) => table.columns[i].kind !== 'id');
    const cell = (v, i) => h('td', { class: table.columns[i]?.kind === 'measure' ? 'num' : '' }, fmt.byKind(v, table.columns[i]?.format));
    item.append(h('div.table-wrap', h('table.data.answer-table',
      h('thead', h('tr', shown.map((i) => h('th', { scope: 'col', class: table.columns[i].kind === 'measure' ? 'num' : '' }, table.columns[i].label || table.columns[i].key)))),
      h('tbody', rows.map((r) => h('tr', shown.map((i) => cell(r[i], i))))),
      table.totals ? h('tfoot', h('tr', shown.map((i, k) => (k === 0 && table.columns[i].kind !== 'measure' && table.totals[i] == null)
        ? h('th', { scope: 'row' }, 'Total') : cell(table.totals[i], i)))) : null)));
    if (table.rows.length > rows.length) item.append(h('p.muted', `First ${rows.length} of ${table.rows.length} rows.`));
  }
  if (answer.sql) {
    const code = h('pre.sql', { hidden: true }, h('code', answer.sql));
    const toggle = h('button.link-button.sql-toggle', { type: 'button', 'aria-expanded': 'false', onclick: () => {
      code.hidden = !code.hidden;
      toggle.setAttribute('aria-expanded', String(!code.hidden));
      toggle.textContent = code.hidden ? 'Show SQL' : 'Hide SQL';
    } }, 'Show SQL');
    item.append(toggle, code);
  }
  return item;
}
