// The HTML and script of /docs: lists every operation of the OpenAPI document with its parameters,
// body schema and responses.
export const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Storefront API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
main{max-width:980px;margin:0 auto;padding:20px}
.op{background:#fff;border:1px solid #dde1e8;border-radius:8px;margin:10px 0;padding:12px 16px}
.m{display:inline-block;min-width:62px;font-weight:700;text-transform:uppercase;font-size:13px;border-radius:4px;padding:2px 8px;margin-right:8px;color:#fff;text-align:center}
.get{background:#2f7d4f}.post{background:#2d5fa8}.patch{background:#9a6a12}.put{background:#7a4aa0}.delete{background:#a83232}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f1f3f6;padding:8px;border-radius:6px;overflow:auto}
h2{font-size:17px;margin:26px 0 6px}table{border-collapse:collapse;margin:6px 0}td,th{border-bottom:1px solid #eee;padding:3px 10px 3px 0;text-align:left;vertical-align:top}
.muted{color:#5c6474}
</style></head>
<body><header><h1>Storefront API</h1><div class="muted" id="meta">loading /v1/openapi.json…</div></header>
<main id="ops"></main><script src="/docs/docs.js"></script></body></html>`;

export const docsScript = `(async () => {
  const el = (tag, attrs = {}, ...kids) => { const e = document.createElement(tag); Object.assign(e, attrs); e.append(...kids); return e; };
  const spec = await (await fetch('/v1/openapi.json')).json();
  document.getElementById('meta').textContent = spec.info.title + ' ' + spec.info.version + ' (OpenAPI ' + spec.openapi + ')';
  const resolve = (s) => s && s.$ref ? spec.components.schemas[s.$ref.split('/').pop()] : s;
  const root = document.getElementById('ops');
  const groups = {};
  for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) {
    const tag = (op.tags && op.tags[0]) || 'other'; (groups[tag] ||= []).push({ path, method, op });
  }
  for (const [tag, ops] of Object.entries(groups)) {
    root.append(el('h2', { textContent: tag }));
    for (const { path, method, op } of ops) {
      const box = el('div', { className: 'op' }, el('span', { className: 'm ' + method, textContent: method }), el('code', { textContent: path }), el('div', { className: 'muted', textContent: op.summary || '' }));
      if (op.parameters && op.parameters.length) {
        const t = el('table', {}, el('tr', {}, el('th', { textContent: 'parameter' }), el('th', { textContent: 'in' }), el('th', { textContent: 'schema' })));
        for (const p of op.parameters) t.append(el('tr', {}, el('td', {}, el('code', { textContent: p.name + (p.required ? ' *' : '') })), el('td', { textContent: p.in }), el('td', {}, el('code', { textContent: JSON.stringify(resolve(p.schema)) }))));
        box.append(t);
      }
      const body = op.requestBody && op.requestBody.content['application/json'];
      if (body) box.append(el('div', { textContent: 'JSON body:' }), el('pre', { textContent: JSON.stringify(resolve(body.schema), null, 2) }));
      box.append(el('div', { className: 'muted', textContent: 'responses: ' + Object.entries(op.responses).map(([s, r]) => s + ' ' + r.description).join(' · ') }));
      root.append(box);
    }
  }
})();`;
