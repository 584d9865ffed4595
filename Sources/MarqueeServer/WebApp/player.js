// The player: simulated playback along the title's timeline, with the VMAP's ad breaks played at
// their cue points from the VAST each break's tag answers, and the real events sent — play,
// progress, complete and abandon to POST /v1/events, the ads' impression, quartiles, complete,
// skip and click through their signed beacons.

import { api, qs, newId } from './api.js';
import { h, clear, fmt, notice, toast } from './ui.js';
import { viewer, localTime } from './state.js';
import { sendEvents, viewerEvent, resumePosition, savePosition } from './viewer.js';

const SPEEDS = [1, 10, 60, 300];
const TICK_MS = 200;

/** Seconds of an `HH:MM:SS(.mmm)` VAST/VMAP time, or null. */
export function parseClock(text) {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(String(text || '').trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

function xml(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) throw new Error('the ad server answered a document that is not XML');
  return doc;
}

const all = (node, name) => [...node.getElementsByTagNameNS('*', name)];
const textOf = (node, name) => (all(node, name)[0]?.textContent || '').trim();

/** The VMAP's breaks: [{id, offset (seconds; 0 for start), tag}]. */
export function parseVMAP(text, runtime) {
  const doc = xml(text);
  return all(doc, 'AdBreak').map((b) => {
    const raw = b.getAttribute('timeOffset');
    const offset = raw === 'start' ? 0 : raw === 'end' ? runtime : parseClock(raw);
    return { id: b.getAttribute('breakId') || raw, offset, tag: textOf(b, 'AdTagURI'), played: false };
  }).filter((b) => b.offset !== null && b.tag).sort((a, b) => a.offset - b.offset);
}

/** The VAST's ads in play order, with their beacons. */
export function parseVAST(text) {
  const doc = xml(text);
  return all(doc, 'Ad').sort((a, b) => Number(a.getAttribute('sequence') || 0) - Number(b.getAttribute('sequence') || 0)).map((ad) => {
    const linear = all(ad, 'Linear')[0];
    const tracking = {};
    for (const t of all(ad, 'Tracking')) tracking[t.getAttribute('event')] = t.textContent.trim();
    const creative = all(ad, 'Creative')[0];
    return {
      title: textOf(ad, 'AdTitle'),
      advertiser: textOf(ad, 'Advertiser'),
      creativeId: creative?.getAttribute('id') || '',
      duration: parseClock(textOf(ad, 'Duration')) || 15,
      skipOffset: linear?.getAttribute('skipoffset') ? parseClock(linear.getAttribute('skipoffset')) : null,
      impression: all(ad, 'Impression').map((n) => n.textContent.trim()),
      tracking,
      clickThrough: textOf(ad, 'ClickThrough'),
      clickTracking: all(ad, 'ClickTracking').map((n) => n.textContent.trim()),
    };
  });
}

export async function watch({ params, query }) {
  const id = params[0];
  const v = viewer();
  if (!v.profile) {
    location.hash = '#/profiles';
    return { node: h('p', 'Choose a profile first.') };
  }
  const item = await api.get(`/v1/titles/${encodeURIComponent(id)}`);
  const runtime = item.runtimeSeconds || 5400;
  const adFree = v.profile.plan === 'adFree';
  const sessionId = newId('s-web');
  const at = localTime(v);
  const from = { row: query.get('row') || undefined, rank: query.get('rank') ? Number(query.get('rank')) : undefined, decisionId: query.get('d') || undefined };
  let breaks = [];
  let vmapError = null;
  try {
    const text = await api.get(`/v1/ads/vmap${qs({ profile: v.profile.id, title: id, device: v.device, at, session: sessionId, region: undefined })}`, { accept: 'text' });
    breaks = parseVMAP(text, runtime);
  } catch (error) {
    vmapError = error.message;
  }
  // An ad-free profile never sees an ad, whatever a document says.
  if (adFree) breaks = [];

  const start = query.get('from') !== null ? Number(query.get('from')) : resumePosition(id);
  let position = Math.min(Math.max(0, start), runtime - 1);
  for (const b of breaks) if (b.offset > 0 && b.offset <= position) b.played = true;
  let speed = 60;
  let playing = false;
  let finished = false;
  let ended = false;
  let inAd = null;
  let timer = null;
  let last = 0;
  let lastProgressAt = 0;
  let lastProgressPosition = position;
  const status = h('div.page-status');

  // MARK: The view

  const art = query.get('art') || item.artwork?.[0]?.id;
  const screen = h('div.screen', { role: 'region', 'aria-label': 'Player' });
  const poster = h('img.screen-art', { src: art ? `/v1/titles/${encodeURIComponent(id)}/artwork/${encodeURIComponent(art)}` : '', alt: '' });
  const nowPlaying = h('div.screen-caption', h('p.screen-title', item.name), h('p.screen-sub', 'Simulated playback'));
  const overlay = h('div.ad-overlay', { hidden: true, role: 'region', 'aria-label': 'Advertisement', 'aria-live': 'polite' });
  const finishedPanel = h('div.finished', { hidden: true });
  screen.append(poster, nowPlaying, overlay, finishedPanel);

  const timeline = h('input.timeline', { type: 'range', min: 0, max: runtime, step: 1, value: position, 'aria-label': 'Position' });
  const markers = h('div.break-markers', { 'aria-hidden': 'true' });
  for (const b of breaks) {
    const m = h('span.break-marker', { title: b.offset === 0 ? 'Pre-roll' : `Ad break at ${fmt.clock(b.offset)}` });
    m.style.left = `${(b.offset / runtime) * 100}%`;
    markers.append(m);
  }
  const elapsed = h('span.time#elapsed', fmt.clock(position));
  const playButton = h('button.primary#play-pause', { type: 'button', onclick: () => (playing ? pause() : play()) }, '▶ Play');
  const speedSelect = h('select#speed', { 'aria-label': 'Playback speed' }, SPEEDS.map((s) => h('option', { value: s, selected: s === speed }, `${s}× speed`)));
  speedSelect.addEventListener('change', () => { speed = Number(speedSelect.value); });
  const back = h('a.button#back', { href: '#/', onclick: (event) => { event.preventDefault(); leave('#/'); } }, '← Back home');
  const breakInfo = adFree
    ? h('p.muted#break-info', 'Ad-free plan: playback has no ad breaks.')
    : h('p.muted#break-info', breaks.length
      ? `${breaks.length} ad break${breaks.length > 1 ? 's' : ''}: ${breaks.map((b) => (b.offset === 0 ? 'pre-roll' : fmt.clock(b.offset))).join(', ')}`
      : 'No ad breaks for this viewer and title.');
  const node = h('section.player',
    h('div.player-top', back, h('h1', item.name)),
    screen,
    h('div.controls',
      playButton,
      h('div.timeline-box', timeline, markers),
      elapsed, h('span.time', `/ ${fmt.clock(runtime)}`),
      speedSelect),
    breakInfo,
    vmapError ? notice('error', `The ad schedule could not be loaded: ${vmapError}`) : null,
    status);

  timeline.addEventListener('input', () => {
    if (inAd) {
      timeline.value = position;
      return;
    }
    const target = Number(timeline.value);
    // Seeking over unplayed breaks plays the last of them first, as players do.
    const skipped = breaks.filter((b) => !b.played && b.offset > 0 && b.offset > position && b.offset <= target);
    position = target;
    for (const b of skipped.slice(0, -1)) b.played = true;
    elapsed.textContent = fmt.clock(position);
    if (skipped.length) runBreak(skipped[skipped.length - 1]);
  });

  // MARK: Content playback

  const contentEvent = (type, extra = {}) =>
    viewerEvent(type, {
      titleId: id, positionSeconds: Math.min(runtime, Math.round(position)), durationSeconds: runtime,
      row: from.row, rank: from.rank, decisionId: from.decisionId, ...extra,
    }, sessionId);

  let started = false;
  async function play() {
    if (finished || playing) return;
    playing = true;
    playButton.textContent = '❚❚ Pause';
    if (!started) {
      started = true;
      sendEvents([contentEvent('play')], status);
      const pre = breaks.find((b) => b.offset === 0 && !b.played);
      if (pre && position < 1) {
        await runBreak(pre);
        if (!playing) return;
      }
    }
    last = performance.now();
    lastProgressAt = last;
    clearInterval(timer);
    timer = setInterval(tick, TICK_MS);
  }

  function pause() {
    playing = false;
    playButton.textContent = '▶ Play';
    clearInterval(timer);
    timer = null;
  }

  function tick() {
    if (inAd || !playing) return;
    const now = performance.now();
    const next = Math.min(runtime, position + ((now - last) / 1000) * speed);
    last = now;
    const due = breaks.find((b) => !b.played && b.offset > 0 && b.offset > position && b.offset <= next);
    position = due ? due.offset : next;
    timeline.value = position;
    elapsed.textContent = fmt.clock(position);
    if (due) {
      runBreak(due);
      return;
    }
    // A progress event every 15 s of real time or 10% of the title, whichever comes first.
    if (now - lastProgressAt > 15000 || position - lastProgressPosition > runtime / 10) {
      lastProgressAt = now;
      lastProgressPosition = position;
      sendEvents([contentEvent('progress')], status);
    }
    if (position >= runtime) complete();
  }

  function complete() {
    pause();
    finished = true;
    ended = true;
    savePosition(id, 0);
    sendEvents([contentEvent('progress'), contentEvent('complete')], status);
    clear(finishedPanel);
    finishedPanel.append(h('p.finished-title', 'You finished it'), h('a.button.primary', { href: '#/', onclick: (e) => { e.preventDefault(); leave('#/'); } }, 'Back home'));
    finishedPanel.hidden = false;
  }

  // MARK: Ad breaks

  async function runBreak(adBreak) {
    adBreak.played = true;
    inAd = { adBreak };
    clearInterval(timer);
    let ads = [];
    try {
      ads = parseVAST(await api.get(adBreak.tag, { accept: 'text' }));
    } catch (error) {
      toast(`The ad break could not be loaded: ${error.message}`, 'error');
    }
    if (ads.length) await playPod(ads);
    inAd = null;
    overlay.hidden = true;
    if (playing && !ended) {
      last = performance.now();
      clearInterval(timer);
      timer = setInterval(tick, TICK_MS);
    }
  }

  function playPod(ads) {
    return new Promise((resolve) => {
      let index = -1;
      let adTime = 0;
      let adLast = 0;
      let fired = {};
      let adTimer = null;
      const podTotal = ads.reduce((s, a) => s + a.duration, 0);
      let podDone = 0;

      const heading = h('p.ad-count');
      const advertiser = h('p.ad-advertiser');
      const adTitle = h('p.ad-title');
      const countdown = h('p.ad-countdown', { 'aria-live': 'off' });
      const skip = h('button.ad-skip', { type: 'button', disabled: true, onclick: () => skipAd() }, 'Skip ad');
      const learn = h('a.ad-learn', { href: '#', target: '_blank', rel: 'noopener noreferrer', onclick: () => clickAd() }, 'Learn more ↗');
      const bar = h('div.ad-progress-fill');
      clear(overlay);
      overlay.append(
        h('div.ad-stage', h('span.ad-label', 'Ad'), advertiser, adTitle, h('p.ad-note', 'Simulated spot — no video is downloaded')),
        h('div.ad-hud', h('div.ad-hud-left', heading, countdown), h('div.ad-hud-right', learn, skip)),
        h('div.ad-progress', bar));
      overlay.hidden = false;

      const ad = () => ads[index];
      const fire = (name, urls) => {
        if (fired[name]) return;
        fired[name] = true;
        for (const url of [].concat(urls).filter(Boolean)) api.beacon(url);
      };

      function next() {
        if (index >= 0) podDone += ads[index].duration;
        index += 1;
        if (index >= ads.length) {
          clearInterval(adTimer);
          overlay.hidden = true;
          resolve();
          return;
        }
        fired = {};
        adTime = 0;
        adLast = performance.now();
        const a = ad();
        heading.textContent = `Ad ${index + 1} of ${ads.length}`;
        advertiser.textContent = a.advertiser || 'Advertiser';
        adTitle.textContent = a.title;
        learn.href = a.clickThrough || '#';
        learn.hidden = !a.clickThrough;
        overlay.dataset.creative = a.creativeId;
        overlay.className = `ad-overlay ad-theme-${(index % 4) + 1}`;
        fire('impression', [...a.impression, a.tracking.start]);
        render();
      }

      function render() {
        const a = ad();
        const left = Math.max(0, podTotal - podDone - adTime);
        countdown.textContent = `${fmt.clock(Math.ceil(left))} left in this break`;
        bar.style.width = `${Math.min(100, (adTime / a.duration) * 100)}%`;
        if (a.skipOffset === null) {
          skip.hidden = true;
        } else {
          skip.hidden = false;
          const wait = Math.ceil(a.skipOffset - adTime);
          skip.disabled = wait > 0;
          skip.textContent = wait > 0 ? `Skip in ${wait}` : 'Skip ad ›';
        }
      }

      function step() {
        if (!playing) {
          adLast = performance.now();
          return;
        }
        const now = performance.now();
        // Ads follow the speed control up to 10×, so a sped-up session still shows each spot for a moment.
        adTime = Math.min(ad().duration, adTime + ((now - adLast) / 1000) * Math.min(speed, 10));
        adLast = now;
        const a = ad();
        const share = adTime / a.duration;
        if (share >= 0.25) fire('firstQuartile', a.tracking.firstQuartile);
        if (share >= 0.5) fire('midpoint', a.tracking.midpoint);
        if (share >= 0.75) fire('thirdQuartile', a.tracking.thirdQuartile);
        if (share >= 1) {
          fire('complete', a.tracking.complete);
          next();
          return;
        }
        render();
      }

      function skipAd() {
        const a = ad();
        if (a.skipOffset === null || adTime < a.skipOffset) return;
        fire('skip', a.tracking.skip);
        toast('Ad skipped');
        next();
      }

      function clickAd() {
        fire('click', ad().clickTracking);
        // The viewer left for the advertiser's page: playback waits for them.
        if (playing) pause();
        toast('Opened the advertiser’s page — press Play to continue');
      }

      inAd.abort = () => {
        clearInterval(adTimer);
        resolve();
      };
      next();
      adTimer = setInterval(step, TICK_MS);
    });
  }

  // MARK: Leaving

  async function leave(to) {
    const final = finish();
    if (final) await final;
    location.hash = to;
  }

  function finish() {
    if (ended) return null;
    ended = true;
    pause();
    inAd?.abort?.();
    if (!started) return null;
    savePosition(id, position);
    // Stopped before the end: where it got to, then the abandon (during an ad: an ad-break abandon).
    return sendEvents([contentEvent('progress'), contentEvent('abandon')], status);
  }

  return {
    node, title: `Watching ${item.name}`, className: 'wide',
    cleanup: () => { finish(); },
    afterMount: () => {
      playButton.focus();
      if (query.get('autoplay') === '1') play();
    },
  };
}
