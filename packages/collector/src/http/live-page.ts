// Owns the live page at `/`: one HTML document whose script polls /api/v1/resources (the busiest
// LIVE_PAGE_ROWS) and /api/v1/health once a second and renders a table, and beside it charts of
// the busiest resources' pass, block and exception per second and average RT over the last
// CHART_SECONDS, from /api/v1/series, drawn with uPlot served by the collector itself
// (/assets/uplot.min.js, .css). Nothing is loaded from elsewhere, and no inline script or style
// runs but the page's own: the CSP (LIVE_PAGE_CSP) is `default-src 'self'`, with the sha256 of the
// page's one inline <script> and one <style> added to script-src and style-src ('unsafe-inline' is
// not needed). Resource names are inserted with textContent only (uPlot's legend does the same),
// with control characters and bidi controls shown as escapes (shown()).
// Each chart keeps what it plotted, as uPlot holds it, in `data-plotted` (JSON) for tests and tools.

import { createHash } from 'node:crypto';

/** The charts' span, seconds. */
export const CHART_SECONDS = 300;
/** Resources charted at most (the busiest by minute total; the series endpoint's default). */
export const CHART_RESOURCES = 6;

/** Rows the page asks for: enough to read, small enough to poll every second with 6000 resources. */
export const LIVE_PAGE_ROWS = 200;

export function livePageHtml(app: string): string {
  const title = `sentinel-wasi · ${app}`.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="assets/uplot.min.css">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d232a; background: #fafbfc; }
  h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
  #status { color: #57606a; margin-bottom: 1rem; }
  #status.bad { color: #b42318; }
  input { font: inherit; padding: .25rem .5rem; margin-bottom: .75rem; width: 18rem; }
  table { border-collapse: collapse; min-width: 60rem; background: #fff; }
  th, td { padding: .3rem .6rem; border-bottom: 1px solid #e4e7eb; text-align: right; white-space: nowrap; }
  th { background: #f0f2f5; font-weight: 600; position: sticky; top: 0; }
  th:first-child, td:first-child { text-align: left; max-width: 28rem; overflow: hidden; text-overflow: ellipsis; }
  td.block { color: #b42318; }
  tr.idle td { color: #8c959f; }
  #health { margin-top: 1rem; color: #57606a; }
  #layout { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
  #charts { display: grid; grid-template-columns: repeat(2, 460px); gap: .75rem; }
  .chart { background: #fff; border: 1px solid #e4e7eb; padding: .25rem; margin: 0; width: 460px; overflow: hidden; }
  .chart .uplot { width: 100%; }
  .chart .u-title { font-size: 14px; }
  .chart .u-legend { font-size: 12px; text-align: left; }
  .chart .u-legend tbody { display: block; white-space: normal; }
  .chart .u-legend .u-label { max-width: 12rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
  #charts-status { color: #57606a; grid-column: 1 / -1; }
</style>
</head>
<body>
<h1>${title}</h1>
<div id="status">connecting…</div>
<div id="layout">
<section>
<input id="filter" placeholder="filter resources" autocomplete="off">
<table>
  <thead><tr>
    <th>resource</th><th>pass/s</th><th>block/s</th><th>success/s</th><th>exception/s</th><th>avg RT ms</th>
    <th>concurrency</th><th>1m pass</th><th>1m block</th><th>1m exception</th>
  </tr></thead>
  <tbody id="rows"></tbody>
</table>
<div id="health"></div>
</section>
<section id="charts">
  <div id="charts-status">charts: waiting for sealed seconds…</div>
  <figure class="chart" id="chart-pass" data-title="pass / s" data-field="pass"></figure>
  <figure class="chart" id="chart-block" data-title="block / s" data-field="block"></figure>
  <figure class="chart" id="chart-exception" data-title="exception / s" data-field="exception"></figure>
  <figure class="chart" id="chart-rt" data-title="avg RT ms" data-field="avgRtMs"></figure>
</section>
</div>
<script src="assets/uplot.min.js"></script>
<script>
(() => {
  const rows = document.getElementById('rows');
  const status = document.getElementById('status');
  const health = document.getElementById('health');
  const filter = document.getElementById('filter');
  let last = [];
  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  // A name as shown: control characters and the bidi marks, embeddings, overrides and isolates as
  // escapes (\\u202e), so that no name can reorder what the page shows and pass for another.
  const shown = (name) => name.replace(/[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]/g, (ch) => '\\\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  function render() {
    const f = filter.value.trim();
    const list = last.filter((n) => f === '' || n.resource.includes(f));
    const frag = document.createDocumentFragment();
    for (const n of list) {
      const tr = document.createElement('tr');
      if (n.second.totalQps === 0 && n.concurrency === 0) tr.className = 'idle';
      cell(tr, shown(n.resource));
      cell(tr, fmt(n.second.passQps));
      cell(tr, fmt(n.second.blockQps), n.second.blockQps > 0 ? 'block' : '');
      cell(tr, fmt(n.second.successQps));
      cell(tr, fmt(n.second.exceptionQps));
      cell(tr, fmt(n.second.avgRtMs));
      cell(tr, fmt(n.concurrency));
      cell(tr, fmt(n.minute.pass));
      cell(tr, fmt(n.minute.block));
      cell(tr, fmt(n.minute.exception));
      frag.appendChild(tr);
    }
    rows.replaceChildren(frag);
  }
  async function poll() {
    try {
      const [r, h] = await Promise.all([fetch('api/v1/resources?sort=busy&limit=${LIVE_PAGE_ROWS}'), fetch('api/v1/health')]);
      if (!r.ok || !h.ok) throw new Error('HTTP ' + r.status + '/' + h.status);
      const data = await r.json();
      const hd = await h.json();
      last = data.resources;
      status.className = '';
      status.textContent = (data.total > last.length ? 'busiest ' + last.length + ' of ' + data.total : last.length) + ' resources · updated ' + new Date(data.nowMs).toLocaleTimeString();
      const c = hd.counters;
      health.textContent = 'records counted ' + c.recordsCounted + ' · rejected ' + c.recordsRejected +
        ' · late ' + c.recordsLate + ' · frames skipped ' + c.framesSkipped + ' · writer drops ' + c.writerDroppedRecords +
        ' · lag ' + c.lagBytes + ' B · segments ' + c.segmentsActive;
      render();
    } catch (err) {
      status.className = 'bad';
      status.textContent = 'collector unreachable: ' + err.message;
    }
  }
  filter.addEventListener('input', render);
  poll();
  setInterval(poll, 1000);

  // --- charts: the busiest resources over the last ${CHART_SECONDS} s of sealed seconds ---
  const WINDOW = ${CHART_SECONDS};
  const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#0e8a9c', '#bf3989', '#57606a'];
  const chartsStatus = document.getElementById('charts-status');
  const figures = [...document.querySelectorAll('figure.chart')];
  const plots = new Map();
  let state = null; // { startSec, endSec, series: [{ resource, pass, block, exception, avgRtMs }] }
  let lastFullMs = 0;
  function windowOf(d) {
    const start = d.endSec - WINDOW + 1;
    const series = d.series.map((s) => {
      const old = state && state.series.find((o) => o.resource === s.resource);
      const out = { resource: s.resource, pass: [], block: [], exception: [], avgRtMs: [] };
      for (let sec = start; sec <= d.endSec; sec++) {
        const i = sec - d.startSec;
        const j = old ? sec - state.startSec : -1;
        for (const f of ['pass', 'block', 'exception', 'avgRtMs']) {
          const fresh = i >= 0 && i < d.seconds.length;
          const kept = old && j >= 0 && j < old[f].length;
          out[f].push(fresh ? s[f][i] : kept ? old[f][j] : f === 'avgRtMs' ? null : 0);
        }
      }
      return out;
    });
    return { startSec: start, endSec: d.endSec, series };
  }
  function draw() {
    if (typeof uPlot === 'undefined') {
      chartsStatus.textContent = 'charts unavailable: /assets/uplot.min.js did not load';
      return;
    }
    const xs = [];
    for (let sec = state.startSec; sec <= state.endSec; sec++) xs.push(sec);
    const names = state.series.map((s) => s.resource);
    for (const fig of figures) {
      const field = fig.dataset.field;
      const data = [xs, ...state.series.map((s) => s[field])];
      let p = plots.get(fig.id);
      if (p && JSON.stringify(p.names) !== JSON.stringify(names)) {
        p.plot.destroy();
        p = undefined;
      }
      if (!p) {
        const opts = {
          title: fig.dataset.title,
          width: 440,
          height: 190,
          scales: { x: { time: true } },
          legend: { live: false },
          // Avg RT has no value in a second without completions: its points are drawn, so that a
          // second between two empty ones still shows.
          series: [{}, ...names.map((n, k) => ({ label: shown(n), stroke: COLORS[k % COLORS.length], width: 1.5, spanGaps: field !== 'avgRtMs', ...(field === 'avgRtMs' ? { points: { show: true, size: 4 } } : {}) }))],
          axes: [{}, { size: 48 }],
        };
        p = { names, plot: new uPlot(opts, data, fig) };
        plots.set(fig.id, p);
      } else {
        p.plot.setData(data);
      }
      fig.dataset.plotted = JSON.stringify({ series: p.plot.series.slice(1).map((s) => s.label), data: p.plot.data });
    }
    chartsStatus.textContent = names.length === 0 ? 'charts: no resources yet' :
      'last ' + WINDOW + ' s to ' + new Date(state.endSec * 1000).toLocaleTimeString() + ' · busiest ' + names.length;
  }
  async function pollSeries() {
    try {
      const full = state === null || Date.now() - lastFullMs > 30000 || state.series.length === 0;
      let url = 'api/v1/series?seconds=' + WINDOW;
      if (!full) {
        const behind = Math.floor(Date.now() / 1000) - state.endSec + 5;
        url = 'api/v1/series?seconds=' + Math.min(WINDOW, Math.max(5, behind)) + state.series.map((s) => '&resource=' + encodeURIComponent(s.resource)).join('');
      }
      const r = await fetch(url);
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const d = await r.json();
      if (full) {
        lastFullMs = Date.now();
        state = null;
      }
      state = windowOf(d);
      draw();
    } catch (err) {
      chartsStatus.textContent = 'charts: ' + err.message;
    }
  }
  pollSeries();
  setInterval(pollSeries, 2000);
})();
</script>
</body>
</html>
`;
}

/** The CSP source of the sha256 of the text of the page's one inline `<tag>` (the app name is in neither). */
function inlineHash(html: string, tag: 'script' | 'style'): string {
  const text = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)?.[1];
  if (text === undefined) throw new Error(`the live page has no inline <${tag}>`);
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

const PAGE = livePageHtml('');
/** The live page's Content-Security-Policy: its own origin, and of inline code only the page's own script and style. */
export const LIVE_PAGE_CSP = `default-src 'self'; script-src 'self' ${inlineHash(PAGE, 'script')}; style-src 'self' ${inlineHash(PAGE, 'style')}; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
