// The viewer's context: who is watching, on which device, at what time of day (session storage).

const STORE = 'marquee.viewer';

export const DEVICES = [
  ['tv', 'TV'],
  ['web', 'Web'],
  ['mobile', 'Phone'],
  ['tablet', 'Tablet'],
];

/** The clock: the real time, or a fixed local time in one of the dayparts the home page knows. */
export const CLOCKS = [
  ['now', 'Now', null],
  ['morning', 'Morning · 08:30', [8, 30]],
  ['afternoon', 'Afternoon · 14:00', [14, 0]],
  ['evening', 'Evening · 20:30', [20, 30]],
  ['late-night', 'Late night · 23:30', [23, 30]],
];

/** UTC offsets (minutes) of the demo world's regions; other regions are taken as UTC. */
const REGION_OFFSETS = { 'us-northeast': -300, 'us-southeast': -300, 'us-midwest': -360, 'us-south': -360, 'us-west': -480 };

export const PLAN_NAMES = { adFree: 'Ad-free', standardWithAds: 'Standard with ads', basicWithAds: 'Basic with ads' };

export function viewer() {
  try {
    return { device: 'tv', clock: 'now', ...JSON.parse(sessionStorage.getItem(STORE) || '{}') };
  } catch {
    return { device: 'tv', clock: 'now' };
  }
}

export function setViewer(changes) {
  const next = { ...viewer(), ...changes };
  sessionStorage.setItem(STORE, JSON.stringify(next));
  window.dispatchEvent(new CustomEvent('marquee:viewer'));
  return next;
}

export function offsetMinutes(region) {
  return REGION_OFFSETS[region] ?? 0;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** The viewer's local time as ISO 8601 with its offset (`2026-12-05T20:30:00-05:00`), by the clock setting. */
export function localTime(v = viewer()) {
  const offset = offsetMinutes(v.profile?.region);
  const local = new Date(Date.now() + offset * 60000);
  const clock = CLOCKS.find((c) => c[0] === v.clock);
  let hh = local.getUTCHours();
  let mm = local.getUTCMinutes();
  let ss = local.getUTCSeconds();
  if (clock && clock[2]) {
    [hh, mm] = clock[2];
    ss = 0;
  }
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(hh)}:${pad(mm)}:${pad(ss)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The daypart of an hour, as the server names it. */
export function daypart(hour) {
  if (hour >= 5 && hour < 12) return 'morning';
  if (hour >= 12 && hour < 17) return 'afternoon';
  if (hour >= 17 && hour < 22) return 'evening';
  return 'late-night';
}

/** Event context for POST /v1/events. */
export function eventContext(v = viewer(), sessionId) {
  return {
    device: v.device,
    region: v.profile?.region,
    sessionId,
    localTimeOffsetMinutes: offsetMinutes(v.profile?.region),
  };
}
