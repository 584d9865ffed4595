// The app's entry: keys, the header, the hash router and the chat panel.

import { adoptKeysFromFragment, keys, setKeys, forgetKeys } from './api.js';
import { h, clear, notice, hue } from './ui.js';
import { viewer, PLAN_NAMES } from './state.js';
import * as viewerPages from './viewer.js';
import * as player from './player.js';
import * as ads from './ads.js';
import * as experiments from './experiments.js';
import * as chat from './chat.js';

const routes = [
  [/^\/?$/, (p) => (viewer().profile ? viewerPages.home(p) : viewerPages.profiles(p)), 'home'],
  [/^\/profiles$/, viewerPages.profiles, 'profiles'],
  [/^\/title\/([^/]+)$/, viewerPages.title, 'home'],
  [/^\/watch\/([^/]+)$/, player.watch, 'home'],
  [/^\/ads$/, ads.overview, 'ads'],
  [/^\/ads\/new-campaign$/, ads.campaignForm, 'ads'],
  [/^\/ads\/campaign\/([^/]+)$/, ads.campaign, 'ads'],
  [/^\/ads\/campaign\/([^/]+)\/edit$/, ads.campaignForm, 'ads'],
  [/^\/ads\/campaign\/([^/]+)\/new-creative$/, ads.creativeForm, 'ads'],
  [/^\/ads\/creative\/([^/]+)\/edit$/, ads.creativeEditForm, 'ads'],
  [/^\/experiments$/, experiments.list, 'experiments'],
  [/^\/experiments\/new$/, experiments.form, 'experiments'],
  [/^\/experiments\/([^/]+)$/, experiments.report, 'experiments'],
];

let cleanup = null;
let generation = 0;

async function route() {
  const main = document.getElementById('main');
  const path = decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0] || '/');
  const query = new URLSearchParams(location.hash.split('?')[1] || '');
  if (cleanup) {
    try {
      cleanup();
    } catch (error) {
      console.warn('cleanup failed', error);
    }
    cleanup = null;
  }
  generation += 1;
  const mine = generation;
  const found = routes.find(([pattern]) => pattern.test(path));
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.toggleAttribute('aria-current', found && link.dataset.nav === found[2]);
    if (found && link.dataset.nav === found[2]) link.setAttribute('aria-current', 'page');
  }
  clear(main);
  main.className = '';
  if (!found) {
    main.append(notice('error', `There is no page at ${path}.`, h('p', h('a', { href: '#/' }, 'Back home'))));
    return;
  }
  const params = found[0].exec(path).slice(1);
  main.append(h('div.loading', { role: 'status' }, h('span.spinner', { 'aria-hidden': 'true' }), 'Loading…'));
  try {
    const result = await found[1]({ params, query, isCurrent: () => mine === generation });
    if (mine !== generation) {
      if (result && result.cleanup) result.cleanup();
      return;
    }
    clear(main);
    main.className = result?.className || '';
    if (result?.node) main.append(result.node);
    cleanup = result?.cleanup || null;
    document.title = result?.title ? `${result.title} · Marquee` : 'Marquee · Micro-Netflix';
    result?.afterMount?.();
  } catch (error) {
    if (mine !== generation) return;
    clear(main);
    main.append(notice('error', error.message || String(error), h('p', h('a', { href: '#/' }, 'Back home'))));
  }
  updateWho();
}

function updateWho() {
  const who = document.getElementById('who');
  const v = viewer();
  clear(who);
  if (v.profile) {
    const avatar = h('span.avatar', { 'aria-hidden': 'true' }, v.profile.id.slice(-2));
    avatar.style.setProperty('--hue', hue(v.profile.id));
    who.append(avatar, h('span.who-text', h('strong', v.profile.id), h('small', PLAN_NAMES[v.profile.plan] || v.profile.plan)));
  } else {
    who.append(h('span.who-text', 'Choose a profile'));
  }
}

function keyDialog(reason) {
  const dialog = document.getElementById('key-dialog');
  clear(dialog);
  const k = keys();
  const input = (name, label, hint) => {
    const el = h('input', { type: 'password', name, id: `key-${name}`, autocomplete: 'off', spellcheck: 'false', value: k[name] || '' });
    return h('div.field', h('label', { for: el.id }, label), el, h('p.hint', hint));
  };
  const form = h('form', { method: 'dialog' },
    h('h2#key-dialog-title', 'API keys'),
    reason ? h('p.notice.notice-warn', { role: 'alert' }, reason) : null,
    h('p', 'Paste the keys Marquee gave you (marquee demo prints the app’s URL with its admin key; marquee keys create makes others). They stay in this tab’s session storage and go only to this server.'),
    input('admin', 'Admin key', 'Ads console, experiments, analyst; also works for everything else.'),
    input('ingest', 'Ingest key', 'Viewer events (plays, ratings). The admin key is used when empty.'),
    input('read', 'Read key', 'Only when the server protects reads.'),
    h('div.actions',
      h('button.primary', { type: 'submit', value: 'save' }, 'Save keys'),
      h('button', { type: 'button', onclick: () => { forgetKeys(); dialog.close(); route(); } }, 'Forget keys'),
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    setKeys({ admin: data.get('admin'), ingest: data.get('ingest'), read: data.get('read') });
    dialog.close();
    route();
  });
  dialog.append(form);
  dialog.showModal();
}

export function askForKey(reason) {
  keyDialog(reason);
}

function start() {
  adoptKeysFromFragment();
  document.getElementById('key-button').addEventListener('click', () => keyDialog());
  window.addEventListener('marquee:open-keys', (e) => keyDialog(e.detail?.reason));
  window.addEventListener('hashchange', route);
  window.addEventListener('marquee:viewer', updateWho);
  chat.mount(document.getElementById('chat'), document.getElementById('chat-toggle'));
  updateWho();
  route();
}

start();
