// The viewer side: the profile picker, the personalized home page and the title page.

import { api, qs, newId, hasKey, ApiError } from './api.js';
import { h, clear, fmt, notice, toast, hue, select, navigate, icon } from './ui.js';
import { viewer, setViewer, DEVICES, CLOCKS, PLAN_NAMES, localTime, eventContext } from './state.js';

const PLANS = ['adFree', 'standardWithAds', 'basicWithAds'];

/** Timings of this page load (the browser test reads the first row's). */
window.marqueeTimings = window.marqueeTimings || {};

/** The device switcher and the clock, shared by the profile picker and the home page. */
function contextControls(onChange) {
  const v = viewer();
  const devices = h('div.segmented', { role: 'radiogroup', 'aria-label': 'Device' },
    DEVICES.map(([value, label]) => h('button', {
      type: 'button', role: 'radio', 'aria-checked': String(v.device === value), dataset: { device: value },
      onclick: () => { setViewer({ device: value }); onChange?.(); },
    }, label)));
  const clock = select('clock', CLOCKS.map(([value, label]) => [value, label]), v.clock);
  clock.id = 'clock';
  clock.addEventListener('change', () => { setViewer({ clock: clock.value }); onChange?.(); });
  return h('div.context-controls',
    h('div.control', h('span.control-label', { id: 'device-label' }, 'Device'), devices),
    h('div.control', h('label.control-label', { for: 'clock' }, 'Clock'), clock));
}

/** Where events go; a missing key is reported once per page, not per event. */
async function sendEvents(events, statusHost) {
  if (!events.length) return null;
  if (!hasKey('ingest')) {
    if (statusHost && !statusHost.querySelector('.events-off')) {
      statusHost.append(h('p.events-off.notice.notice-warn', { role: 'status' },
        'Viewing events are not being recorded: add an ingest or admin key (API keys, top right).'));
    }
    return null;
  }
  try {
    const result = await api.events(events);
    if (result.rejected?.length) {
      const first = result.rejected[0];
      // Kept for the browser tests, which fail on any refused event.
      const kept = JSON.parse(sessionStorage.getItem('marquee.rejected') || '[]');
      sessionStorage.setItem('marquee.rejected', JSON.stringify(kept.concat(result.rejected).slice(-50)));
      toast(`An event was refused: ${first.message}`, 'error');
    }
    return result;
  } catch (error) {
    toast(`Events were not recorded: ${error.message}`, 'error');
    return null;
  }
}

export function viewerEvent(type, fields, sessionId) {
  const v = viewer();
  return {
    id: newId('web'), profileId: v.profile.id, type, timestamp: new Date().toISOString(),
    context: eventContext(v, sessionId), ...fields,
  };
}

export { sendEvents };

// MARK: Profiles

export async function profiles() {
  const lists = await Promise.all(PLANS.map((plan) => api.get(`/v1/profiles${qs({ plan, limit: 4 })}`)));
  const current = viewer().profile?.id;
  const node = h('section.profiles-page',
    h('h1', 'Who’s watching?'),
    h('p.lead', 'Each profile is a viewer of the demo world with its own history, plan, region and tastes.'),
    contextControls(() => window.dispatchEvent(new HashChangeEvent('hashchange'))),
    PLANS.map((plan, i) => h('section.plan-group', { 'aria-labelledby': `plan-${plan}` },
      h('h2', { id: `plan-${plan}` }, PLAN_NAMES[plan], plan === 'adFree' ? h('span.tag', 'never sees an ad') : h('span.tag.tag-ads', 'ads at breaks')),
      lists[i].items.length === 0 ? h('p.muted', 'No profiles on this plan.') : null,
      h('ul.profile-grid', lists[i].items.map((p) => {
        const avatar = h('span.avatar.big', { 'aria-hidden': 'true' }, p.id.slice(-2));
        avatar.style.setProperty('--hue', hue(p.id));
        return h('li', h('button.profile-card', {
          type: 'button', dataset: { profile: p.id, plan: p.plan },
          'aria-pressed': String(current === p.id),
          onclick: () => { setViewer({ profile: p }); navigate('#/'); },
        }, avatar, h('span.profile-name', p.id), h('span.profile-meta', `${p.region} · ${p.maturityLimit ? `up to ${p.maturityLimit}` : 'all ratings'}`)));
      })))));
  return { node, title: 'Profiles' };
}

// MARK: Home

export async function home({ isCurrent }) {
  const v = viewer();
  const at = localTime(v);
  const page = await api.get(`/v1/profiles/${encodeURIComponent(v.profile.id)}/home${qs({ device: v.device, at, rows: 10, perRow: 14 })}`);
  const status = h('div.page-status');
  const hero = h('section.hero', { 'aria-live': 'polite', 'aria-label': 'Selected title' });
  const rowsHost = h('div.rows');
  const context = page.context || {};
  const node = h('div.home',
    hero,
    h('div.home-context',
      h('p.context-summary', h('strong', PLAN_NAMES[v.profile.plan] || v.profile.plan), ` · ${v.profile.region} · `,
        h('span#daypart', { dataset: { daypart: context.daypart } }, `${context.daypart || ''}`), ` on ${context.device || v.device}`,
        page.personalized ? ' · personalized for you' : ' · popular picks (no history yet)'),
      contextControls(() => navigate('#/'))),
    status,
    rowsHost);

  const showInHero = (item, row) => {
    clear(hero);
    const art = h('img.hero-art', { src: item.artwork?.url || '', alt: '', width: 300, height: 450 });
    // The poster again, blurred, as the banner's backdrop (a CSS variable: no inline style attribute).
    if (item.artwork?.url) hero.style.setProperty('--art', `url("${item.artwork.url}")`);
    hero.append(
      h('div.hero-backdrop', art),
      h('div.hero-body',
        h('p.hero-row', row.title),
        h('h1.hero-title', item.name),
        h('p.hero-explanation', item.explanation || row.reason),
        h('div.hero-actions',
          h('a.button.primary', { href: titleLink(item, row, page, 'watch') }, icon('play'), 'Play'),
          h('a.button', { href: titleLink(item, row, page, 'title') }, 'More info'))));
  };

  page.rows.forEach((row, r) => {
    const list = h('ul.row-items', { role: 'list' });
    row.items.forEach((item, i) => {
      const img = h('img', {
        src: item.artwork?.url, alt: `${item.name} — poster`, width: 150, height: 225, loading: r < 3 ? 'eager' : 'lazy', decoding: 'async',
      });
      const tile = h('a.tile', {
        href: titleLink(item, row, page, 'title'), dataset: { row: r, col: i, title: item.titleId },
        'aria-describedby': `why-${r}-${i}`,
        onclick: () => sendEvents([viewerEvent('click', { titleId: item.titleId, row: row.id, rank: i, decisionId: row.decisionId || page.decisionId })]),
        onfocus: () => showInHero(item, row),
        onmouseenter: () => showInHero(item, row),
      }, img,
      h('span.tile-name', item.name),
      row.kind === 'continue-watching' && item.progress ? progressBar(item.progress) : null,
      h('span.tile-why', { id: `why-${r}-${i}` }, item.explanation || row.reason));
      list.append(h('li', tile));
    });
    rowsHost.append(h('section.row', { dataset: { kind: row.kind, rowId: row.id }, 'aria-labelledby': `row-${r}` },
      h('div.row-head', h('h2', { id: `row-${r}` }, row.title), h('p.row-reason', row.reason)),
      h('div.row-scroller', list)));
  });
  if (page.rows.length && page.rows[0].items.length) showInHero(page.rows[0].items[0], page.rows[0]);
  else rowsHost.append(notice('info', 'Nothing to show for this profile yet.'));

  const onKey = (event) => navigateTiles(event, rowsHost);
  rowsHost.addEventListener('keydown', onKey);

  return {
    node, title: 'Home', className: 'wide',
    afterMount: () => {
      measureFirstRow(rowsHost);
      // One impression per row (its first title), as a player reports what it showed.
      sendEvents(page.rows.filter((row) => row.items.length).map((row) =>
        viewerEvent('impression', { titleId: row.items[0].titleId, row: row.id, rank: 0, decisionId: row.decisionId || page.decisionId })), status);
      if (isCurrent()) {
        const first = rowsHost.querySelector('.tile');
        if (first && document.activeElement === document.body) first.focus({ preventScroll: true });
      }
    },
  };
}

function progressBar(share) {
  const fill = h('span.tile-progress-fill');
  fill.style.width = `${Math.round(share * 100)}%`;
  return h('span.tile-progress', { 'aria-label': `${Math.round(share * 100)}% watched` }, fill);
}

function titleLink(item, row, page, kind) {
  const q = qs({ row: row.id, rank: item.position, d: row.decisionId || page.decisionId, art: item.artwork?.variant });
  return `#/${kind}/${encodeURIComponent(item.titleId)}${q}`;
}

function measureFirstRow(rowsHost) {
  if (window.marqueeTimings.firstRow !== undefined) return;
  const firstRow = rowsHost.querySelector('.row');
  if (!firstRow) return;
  const images = [...firstRow.querySelectorAll('img')];
  Promise.all(images.map((img) => img.decode().catch(() => null))).then(() => {
    if (window.marqueeTimings.firstRow === undefined) {
      window.marqueeTimings.firstRow = Math.round(performance.now());
      document.body.dataset.firstRowMs = String(window.marqueeTimings.firstRow);
    }
  });
}

/** Arrow keys move between tiles as on a TV remote: left/right in a row, up/down to the nearest tile of the next row. */
function navigateTiles(event, host) {
  const tile = event.target.closest('.tile');
  if (!tile) return;
  const r = Number(tile.dataset.row);
  const c = Number(tile.dataset.col);
  let target = null;
  switch (event.key) {
    case 'ArrowRight': target = host.querySelector(`.tile[data-row="${r}"][data-col="${c + 1}"]`); break;
    case 'ArrowLeft': target = host.querySelector(`.tile[data-row="${r}"][data-col="${c - 1}"]`); break;
    case 'ArrowDown':
    case 'ArrowUp': {
      const rows = [...host.querySelectorAll('.row')];
      const next = rows[r + (event.key === 'ArrowDown' ? 1 : -1)];
      if (next) {
        const tiles = [...next.querySelectorAll('.tile')];
        target = tiles[Math.min(c, tiles.length - 1)];
      }
      break;
    }
    default: return;
  }
  event.preventDefault();
  if (target) {
    target.focus();
    target.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'smooth' });
  }
}

// MARK: Title

export async function title({ params, query }) {
  const id = params[0];
  const v = viewer();
  let item;
  try {
    item = await api.get(`/v1/titles/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new Error(`There is no title '${id}'.`);
    throw error;
  }
  const variant = query.get('art') || item.artwork?.[0]?.id;
  const poster = variant ? `/v1/titles/${encodeURIComponent(id)}/artwork/${encodeURIComponent(variant)}` : '';
  const similarHost = h('section.row.similar', { 'aria-labelledby': 'similar-title' },
    h('div.row-head', h('h2#similar-title', 'More like this')), h('div.loading', 'Finding similar titles…'));
  const status = h('div.page-status');
  const from = { row: query.get('row') || undefined, rank: query.get('rank') ? Number(query.get('rank')) : undefined, decisionId: query.get('d') || undefined };
  const resume = resumePosition(id);
  const watch = `#/watch/${encodeURIComponent(id)}${qs({ row: from.row, rank: from.rank, d: from.decisionId, art: variant })}`;

  const rate = h('div.rating', { role: 'radiogroup', 'aria-label': 'Your rating' },
    [1, 2, 3, 4, 5].map((n) => h('button.star', {
      type: 'button', role: 'radio', 'aria-checked': 'false', 'aria-label': `${n} star${n > 1 ? 's' : ''}`, dataset: { stars: n },
      onclick: async (event) => {
        for (const b of rate.querySelectorAll('.star')) b.setAttribute('aria-checked', String(Number(b.dataset.stars) <= n));
        const ok = await sendEvents([viewerEvent('rate', { titleId: id, rating: n, decisionId: from.decisionId })], status);
        if (ok?.accepted) toast(`Rated ${n} out of 5 — your home page takes it into account now.`);
        event.currentTarget?.blur?.();
      },
    }, '★')));
  const thumb = (type, label, symbol) => h('button.icon-button', {
    type: 'button', 'aria-pressed': 'false', dataset: { action: type }, title: label,
    onclick: async (event) => {
      const button = event.currentTarget;
      const ok = await sendEvents([viewerEvent(type, { titleId: id, decisionId: from.decisionId })], status);
      if (ok?.accepted) {
        for (const b of button.parentElement.querySelectorAll('[data-action="like"],[data-action="dislike"]')) b.setAttribute('aria-pressed', 'false');
        button.setAttribute('aria-pressed', 'true');
        toast(type === 'like' ? 'Liked — more like this on your home page.' : type === 'dislike' ? 'Got it — we will show fewer titles like this.' : 'Added to your list.');
      }
    },
  }, icon(symbol), h('span.label', label));

  const node = h('article.title-page',
    h('div.title-hero',
      h('img.title-poster', { src: poster, alt: `${item.name} — poster`, width: 300, height: 450 }),
      h('div.title-info',
        h('h1', item.name),
        h('p.title-facts',
          [item.releaseYear, item.maturityRating, item.runtimeSeconds ? fmt.runtime(item.runtimeSeconds) : null, item.kind !== 'movie' ? item.kind : null]
            .filter(Boolean).map((f) => h('span', f))),
        h('p.genres', (item.genres || []).map((g) => h('span.chip', g))),
        h('p.synopsis', item.synopsis || 'No synopsis yet.'),
        item.cast?.length ? h('p.cast', h('strong', 'Cast: '), item.cast.join(', ')) : null,
        h('div.title-actions',
          h('a.button.primary#play', { href: watch }, icon('play'), resume > 0 ? `Resume from ${fmt.clock(resume)}` : 'Play'),
          resume > 0 ? h('a.button', { href: `${watch}${watch.includes('?') ? '&' : '?'}from=0` }, 'Start over') : null,
          thumb('like', 'Like', 'heart'), thumb('dislike', 'Not for me', 'ban'), thumb('addToList', 'My list', 'plus')),
        h('div.rate-line', h('span', 'Rate it'), rate),
        v.profile?.plan === 'adFree' ? h('p.muted', 'Ad-free plan: no ad breaks.') : h('p.muted', `${(item.cuePoints || []).length} natural breaks · ads are chosen when playback reaches them`),
        status)),
    similarHost);

  const loadSimilar = async () => {
    try {
      const similar = await api.get(`/v1/titles/${encodeURIComponent(id)}/similar${qs({ n: 12, profile: v.profile?.id })}`);
      const titles = await Promise.all(similar.items.map((s) => api.get(`/v1/titles/${encodeURIComponent(s.id)}`).catch(() => null)));
      const list = h('ul.row-items');
      similar.items.forEach((s, i) => {
        const t = titles[i];
        const art = t?.artwork?.[0]?.id;
        list.append(h('li', h('a.tile', { href: `#/title/${encodeURIComponent(s.id)}`, dataset: { row: 0, col: i }, 'aria-describedby': `sim-why-${i}` },
          h('img', { src: art ? `/v1/titles/${encodeURIComponent(s.id)}/artwork/${encodeURIComponent(art)}` : '', alt: `${s.name} — poster`, width: 150, height: 225 }),
          h('span.tile-name', s.name),
          h('span.tile-why', { id: `sim-why-${i}` }, s.reason))));
      });
      clear(similarHost);
      similarHost.append(h('div.row-head', h('h2#similar-title', 'More like this')),
        similar.items.length ? h('div.row-scroller', list) : h('p.muted', 'Nothing similar to show.'));
      list.addEventListener('keydown', (event) => navigateTiles(event, similarHost));
    } catch (error) {
      clear(similarHost);
      similarHost.append(h('div.row-head', h('h2#similar-title', 'More like this')), notice('error', error.message));
    }
  };
  return { node, title: item.name, className: 'wide', afterMount: () => { loadSimilar(); node.querySelector('#play')?.focus({ preventScroll: true }); } };
}

/** Where this browser left the title (the player keeps it per profile and title). */
export function resumePosition(titleId) {
  const v = viewer();
  try {
    const saved = JSON.parse(sessionStorage.getItem('marquee.positions') || '{}');
    return saved[`${v.profile?.id}/${titleId}`] || 0;
  } catch {
    return 0;
  }
}

export function savePosition(titleId, seconds) {
  const v = viewer();
  let saved = {};
  try {
    saved = JSON.parse(sessionStorage.getItem('marquee.positions') || '{}');
  } catch {
    saved = {};
  }
  if (seconds > 0) saved[`${v.profile?.id}/${titleId}`] = Math.floor(seconds);
  else delete saved[`${v.profile?.id}/${titleId}`];
  sessionStorage.setItem('marquee.positions', JSON.stringify(saved));
}
