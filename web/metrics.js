/**
 * The console's metrics panel: the local stack's own metrics, live, as the CloudWatch dashboard shows them
 * in AWS. The handlers write their metrics as EMF documents (docs/operations.md lists them); the local stack
 * sums them per second beside the handlers' durations and serves the last minutes at GET /.local/metrics
 * (local/README.md). This polls that once a second and draws plain SVG: no library, no build step.
 *
 * Safety: names and values from the server reach the page through `textContent` and attributes only.
 */

const METRICS_PATH = '/.local/metrics';
/** The charts' window, in seconds (the window menu; the stack keeps 10 minutes). */
let windowSeconds = 300;
const POLL_MS = 1000;
/** After a failed poll (the stack stopped, say), the next one waits longer. */
const RETRY_MS = 5000;
/** The legend's rates: the average of the last seconds, the current one (still filling) left out. */
const RATE_SECONDS = 10;

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

/** Colours of the breakdowns' lines, assigned in order of appearance (then kept, so a code keeps its colour). */
const PALETTE = ['#d9480f', '#2f6fed', '#2b8a3e', '#9c36b5', '#e8590c', '#0c8599', '#c2255c', '#5c940d'];

/** A series of a count per second, named as the metric (`label` where the legend says it otherwise). */
const counted = (name, colour, label) => ({
  name,
  colour,
  ...(label ? { label } : {}),
  value: (b) => b.counts[name] ?? 0,
});

/**
 * The charts. A series reads a value per second from a bucket of the snapshot (local/metrics.ts); `gaps`
 * leaves seconds without a value out of the line (a latency with no invocation is not 0 ms).
 */
const CHARTS = [
  {
    id: 'connections',
    title: 'Connections per second',
    unit: '/s',
    series: [
      counted('Connects', 'var(--ok)'),
      counted('Disconnects', 'var(--muted)'),
      counted('ConnectRefusals', 'var(--error)', 'Refusals'),
    ],
  },
  {
    id: 'traffic',
    title: 'Frames and deliveries per second',
    unit: '/s',
    series: [
      counted('Frames', 'var(--out)'),
      counted('Deliveries', 'var(--accent)'),
      // Recipients handed to the fan-out workers (a channel over the threshold): Deliveries follow.
      counted('QueuedRecipients', 'var(--muted)', 'Queued'),
      counted('FailedPosts', 'var(--error)', 'Failed posts'),
    ],
  },
  {
    id: 'errors',
    title: 'Errors by code per second',
    unit: '/s',
    // One line per code seen in the window.
    breakdown: { metric: 'Errors', dimension: 'code' },
    series: [],
  },
  {
    id: 'latency',
    title: 'Handler latency (ms)',
    unit: ' ms',
    gaps: true,
    series: [
      { name: 'p50', colour: 'var(--accent)', value: (b) => b.latency?.p50 },
      { name: 'p99', colour: 'var(--error)', value: (b) => b.latency?.p99 },
    ],
  },
];

const colours = new Map();
const colourOf = (key) => {
  if (!colours.has(key)) colours.set(key, PALETTE[colours.size % PALETTE.length]);
  return colours.get(key);
};

/** The figure of each chart, built once. */
function buildPanel() {
  const grid = $('metrics-charts');
  for (const chart of CHARTS) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.chart = chart.id;
    const caption = document.createElement('figcaption');
    const title = document.createElement('span');
    title.className = 'chart-title';
    title.textContent = chart.title;
    const max = document.createElement('span');
    max.className = 'chart-max hint';
    caption.append(title, max);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', chart.title);
    for (const y of [0, 50, 100]) {
      const line = document.createElementNS(SVG, 'line');
      line.setAttribute('class', 'grid');
      line.setAttribute('x1', '0');
      line.setAttribute('x2', '1');
      line.setAttribute('y1', String(y));
      line.setAttribute('y2', String(y));
      svg.append(line);
    }
    const axis = document.createElement('div');
    axis.className = 'chart-axis hint';
    const from = document.createElement('span');
    from.className = 'chart-from';
    const to = document.createElement('span');
    to.textContent = 'now';
    axis.append(from, to);
    const legend = document.createElement('ul');
    legend.className = 'chart-legend';
    figure.append(caption, svg, axis, legend);
    grid.append(figure);
    chart.figure = figure;
  }
}

/** Per series, its value for each second of the window (null: none), oldest first. */
function seriesOf(chart, snapshot) {
  const from = snapshot.now - windowSeconds + 1;
  const bySecond = new Map(snapshot.buckets.map((b) => [b.t, b]));
  const series = chart.breakdown ? breakdownSeries(chart.breakdown, snapshot) : chart.series;
  return series.map((s) => {
    const values = [];
    for (let t = from; t <= snapshot.now; t++) {
      const bucket = bySecond.get(t);
      const value = bucket ? s.value(bucket) : undefined;
      values.push(value === undefined ? (chart.gaps ? null : 0) : value);
    }
    return { ...s, values };
  });
}

/** One series per value of the dimension seen in the window (e.g. each error code). */
function breakdownSeries({ metric, dimension }, snapshot) {
  const keys = new Set();
  for (const b of snapshot.buckets)
    for (const key of Object.keys(b.by[metric]?.[dimension] ?? {})) keys.add(key);
  return [...keys].sort().map((key) => ({
    name: key,
    colour: colourOf(`${metric}:${key}`),
    value: (b) => b.by[metric]?.[dimension]?.[key] ?? 0,
  }));
}

/** A round top for the y axis, at least 1. */
function niceMax(value) {
  if (!(value > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

const format = (n) => (n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1));

function draw(chart, snapshot) {
  const series = seriesOf(chart, snapshot);
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))));
  const svg = chart.figure.querySelector('svg');
  // One x unit per second: the newest second at the right edge.
  svg.setAttribute('viewBox', `0 0 ${windowSeconds - 1} 100`);
  for (const line of svg.querySelectorAll('line')) line.setAttribute('x2', String(windowSeconds - 1));
  chart.figure.querySelector('.chart-from').textContent = `−${windowSeconds / 60} min`;
  for (const old of svg.querySelectorAll('path')) old.remove();
  const legend = chart.figure.querySelector('.chart-legend');
  legend.replaceChildren();
  chart.figure.querySelector('.chart-max').textContent = `max ${format(top)}${chart.unit}`;

  for (const s of series) {
    let d = '';
    let open = false;
    s.values.forEach((v, x) => {
      if (v === null) {
        open = false;
        return;
      }
      const y = 100 - (v / top) * 100;
      d += `${open ? 'L' : 'M'}${x} ${y.toFixed(2)}`;
      open = true;
    });
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    path.setAttribute('stroke', s.colour);
    path.setAttribute('class', 'series');
    path.dataset.series = s.name;
    const known = s.values.filter((v) => v !== null);
    path.dataset.total = String(known.reduce((a, b) => a + b, 0));
    svg.append(path);

    // The legend: the recent rate for counts, the latest second's value for latencies.
    const recent = s.values.slice(-RATE_SECONDS - 1, -1).filter((v) => v !== null);
    const shown = chart.gaps
      ? (recent.at(-1) ?? null)
      : recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
    const item = document.createElement('li');
    item.dataset.series = s.name;
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = s.colour;
    const text = document.createElement('span');
    text.textContent = `${s.label ?? s.name} ${shown === null ? '–' : `${format(shown)}${chart.unit}`}`;
    item.append(swatch, text);
    legend.append(item);
  }
  if (series.length === 0) {
    const item = document.createElement('li');
    item.className = 'hint';
    item.textContent = 'none in the last minutes';
    legend.append(item);
  }
}

let timer;
let polling = false;
async function poll() {
  let next = POLL_MS;
  const status = $('metrics-status');
  try {
    const res = await fetch(`${METRICS_PATH}?seconds=${windowSeconds}`, { cache: 'no-store' });
    if (res.status === 404) {
      // Not the local stack (the page opened against AWS): the CloudWatch dashboard has these.
      status.textContent =
        'Served by the local stack only; in AWS, the CloudWatch dashboard shows these metrics.';
      $('metrics').dataset.state = 'unavailable';
      return;
    }
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    const snapshot = await res.json();
    for (const chart of CHARTS) draw(chart, snapshot);
    status.textContent = `service ${snapshot.service}`;
    $('metrics').dataset.state = 'live';
    $('metrics').dataset.updated = String(snapshot.now);
  } catch (error) {
    status.textContent = `No metrics: ${error.message}`;
    $('metrics').dataset.state = 'error';
    next = RETRY_MS;
  }
  timer = setTimeout(tick, next);
}

/** Polls while the panel is open and the page visible; picks up at once when it is shown again. */
function tick() {
  clearTimeout(timer);
  if (polling || document.hidden || !$('metrics').open) return;
  polling = true;
  poll().finally(() => {
    polling = false;
  });
}

if (location.protocol === 'http:' || location.protocol === 'https:') {
  buildPanel();
  document.addEventListener('visibilitychange', tick);
  $('metrics').addEventListener('toggle', tick);
  $('metrics-window').addEventListener('change', (event) => {
    windowSeconds = Number(event.target.value);
    tick();
  });
  windowSeconds = Number($('metrics-window').value);
  tick();
} else {
  $('metrics-status').textContent = 'Open the page from the local stack (npm start) to see its metrics.';
}
