// Owns the live page at `/`: one self-contained HTML document (no build step, no external assets)
// whose script polls /api/v1/resources (the busiest LIVE_PAGE_ROWS) and /api/v1/health once a
// second and renders a table.
// Resource names are inserted with textContent only.

export const LIVE_PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";

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
</style>
</head>
<body>
<h1>${title}</h1>
<div id="status">connecting…</div>
<input id="filter" placeholder="filter resources" autocomplete="off">
<table>
  <thead><tr>
    <th>resource</th><th>pass/s</th><th>block/s</th><th>success/s</th><th>exception/s</th><th>avg RT ms</th>
    <th>concurrency</th><th>1m pass</th><th>1m block</th><th>1m exception</th>
  </tr></thead>
  <tbody id="rows"></tbody>
</table>
<div id="health"></div>
<script>
(() => {
  const rows = document.getElementById('rows');
  const status = document.getElementById('status');
  const health = document.getElementById('health');
  const filter = document.getElementById('filter');
  let last = [];
  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
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
      cell(tr, n.resource);
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
})();
</script>
</body>
</html>
`;
}
