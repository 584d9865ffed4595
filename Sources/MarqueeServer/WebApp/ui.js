// Small DOM helpers shared by every page: element building, formatting, messages.

/** Builds an element: h('a.card#x', {href: '#/'}, 'text', child). Attributes starting with "on" are listeners. */
export function h(spec, attrs, ...children) {
  const match = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec) || [];
  const el = document.createElement(match[1] || 'div');
  for (const part of (match[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** An SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const numberFormat = new Intl.NumberFormat('en-US');
const moneyFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const compactMoney = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 });

export const fmt = {
  count: (n) => (n === null || n === undefined || Number.isNaN(n) ? '–' : numberFormat.format(Math.round(n))),
  number: (n, digits = 2) =>
    n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }),
  percent: (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(digits)}%`),
  signedPercent: (x, digits = 1) =>
    x === null || x === undefined || Number.isNaN(x) ? '–' : `${x > 0 ? '+' : ''}${(x * 100).toFixed(digits)}%`,
  money: (cents) => (cents === null || cents === undefined ? '–' : moneyFormat.format(cents / 100)),
  compactMoney: (cents) => {
    if (cents === null || cents === undefined || Number.isNaN(cents)) return '–';
    return Math.abs(cents) < 100000 ? moneyFormat.format(cents / 100) : compactMoney.format(cents / 100);
  },
  /** Seconds as 1:02:03 or 2:03. */
  clock: (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    const hh = Math.floor(s / 3600);
    const mm = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, '0');
    return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
  },
  runtime: (seconds) => {
    const m = Math.round((seconds || 0) / 60);
    return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
  },
  date: (iso) => (iso ? new Date(iso).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' }) : '–'),
  /** By the column's declared format (the analytics answer's table). */
  byKind: (value, format) => {
    if (value === null || value === undefined) return '–';
    if (typeof value !== 'number') return String(value);
    switch (format) {
      case 'count': return fmt.count(value);
      case 'percent': return fmt.percent(value, 2);
      case 'money': return moneyFormat.format(value);
      default: return fmt.number(value, 4);
    }
  },
};

/** A page-level message box: role=alert for errors so screen readers announce it. */
export function notice(kind, text, ...extra) {
  return h(`div.notice.notice-${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, h('p', text), ...extra);
}

let toastTimer = null;
/** A short message at the bottom of the screen. */
export function toast(text, kind = 'info') {
  const host = document.getElementById('toast');
  if (!host) return;
  host.textContent = text;
  host.className = `toast toast-${kind} visible`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => host.classList.remove('visible'), 4000);
}

/** A labelled form field; `name` is the API field path the error messages name. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const error = h('p.field-error', { id: `${id}-error`, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  return h('div.field', { dataset: { field: input.name || '' } },
    h('label', { for: id }, label), input, hint ? h('p.hint', { id: `${id}-hint` }, hint) : null, error);
}

export function select(name, options, value) {
  return h('select', { name },
    options.map((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v, selected: v === value }, label);
    }));
}

/** Shows an API error at the form field its message names ("targeting.devices[1]: …"), else at the form's top. */
export function showFieldError(form, error) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const top = form.querySelector('.form-error');
  if (top) top.textContent = '';
  const message = error.message || String(error);
  const path = (/^([A-Za-z][\w.[\]]*):/.exec(message) || [])[1];
  if (path) {
    const bare = path.replace(/\[\d+\]/g, '');
    const parts = bare.split('.');
    // The longest field path the form has that the message's path starts with.
    for (let n = parts.length; n > 0; n--) {
      const name = parts.slice(0, n).join('.');
      const host = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
      if (host) {
        let slot = host.querySelector('.field-error');
        if (!slot) host.append((slot = h('p.field-error', { 'aria-live': 'polite' })));
        slot.textContent = message;
        const input = host.querySelector('input, select, textarea');
        if (input) {
          input.setAttribute('aria-invalid', 'true');
          input.focus();
        }
        return;
      }
    }
  }
  if (top) top.textContent = message;
}

export function statusBadge(status) {
  return h(`span.badge.badge-${String(status).toLowerCase()}`, status);
}

/** Deterministic colour for a string (profile avatars): FNV-1a, then a golden-ratio spread of the hue. */
export function hue(text) {
  let hash = 0x811c9dc5;
  for (const ch of String(text)) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return Math.floor(((hash * 0.618033988749895) % 1) * 360);
}

/** Goes to a route of the app, re-rendering when it is the current one. */
export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** Small line icons (24×24, drawn with the current colour), so that no emoji font is needed. */
const ICONS = {
  heart: [['path', { d: 'M12 20.5s-7.5-4.6-9.3-9.4C1.5 7.6 3.9 4.5 7.1 4.5c2 0 3.6 1.1 4.9 2.9 1.3-1.8 2.9-2.9 4.9-2.9 3.2 0 5.6 3.1 4.4 6.6-1.8 4.8-9.3 9.4-9.3 9.4z' }]],
  ban: [['circle', { cx: 12, cy: 12, r: 8.5 }], ['path', { d: 'M6 6l12 12' }]],
  plus: [['path', { d: 'M12 5v14M5 12h14' }]],
  play: [['path', { d: 'M8 5.5v13l10.5-6.5z', fill: 'currentColor' }]],
};

export function icon(name) {
  return svg('svg', { class: 'icon', viewBox: '0 0 24 24', width: 20, height: 20, 'aria-hidden': 'true', focusable: 'false' },
    (ICONS[name] || []).map(([tag, attrs]) => svg(tag, attrs)));
}
