/** @jsxImportSource hono/jsx */
// The audit log page (/admin/audit, merchant role): GET /v1/admin/audit read in-process with the filters of the
// page's query (the API validates them: a bad one shows the API's message), newest first, keyset pages.
import type { Schemas } from '../../../../lib/client';
import { type Nav, Page } from './layout';
import type { Part } from './ops.data';
import { cell, row, Table } from './table';

/** The filters, as the API names them; the page's query takes these and `cursor`. */
export const AUDIT_FILTERS = [
  { name: 'actor', label: 'Actor (email or id)', placeholder: 'merchant@storefront.local' },
  { name: 'action', label: 'Action', placeholder: 'product.update or product.*' },
  { name: 'targetType', label: 'Target type', placeholder: 'product' },
  { name: 'targetId', label: 'Target id', placeholder: '' },
  { name: 'from', label: 'From (ISO 8601)', placeholder: '2026-11-01T00:00:00Z' },
  { name: 'to', label: 'To (ISO 8601)', placeholder: '' },
] as const;
export const AUDIT_PARAMS = [...AUDIT_FILTERS.map((f) => f.name), 'cursor'];

const json = (value: unknown) => (value === null || value === undefined ? '–' : JSON.stringify(value, null, 2));

function Entries({ page, next }: { page: Schemas['AuditPage']; next?: string }) {
  return (
    <Table
      id="audit-entries"
      caption="Audit entries, newest first"
      empty="No entry matches."
      head={['Time (UTC)', 'Actor', 'Action', 'Target', 'Outcome', 'Request id · address', 'Before / after']}
      rows={page.items.map((e) =>
        row(
          [
            e.at,
            `${e.actor.email ?? e.actor.sub} (${e.actor.role})`,
            <code>{e.action}</code>,
            `${e.target.type}: ${e.target.id}`,
            cell(`${e.outcome}${e.error ? ` (${e.error})` : ''}`, {
              class: e.outcome === 'succeeded' ? 'good' : 'bad',
            }),
            <>
              <code>{e.requestId}</code>
              {e.address && ` · ${e.address}`}
            </>,
            <details>
              <summary>Show</summary>
              <p>Before</p>
              <pre>{json(e.before)}</pre>
              <p>After</p>
              <pre>{json(e.after)}</pre>
            </details>,
          ],
          { 'data-audit-id': e.id },
        ),
      )}
      next={{ href: next, label: 'Older entries' }}
    />
  );
}

export function AuditPage(props: Nav & { query: Record<string, string>; result: Part<Schemas['AuditPage']> }) {
  const { query, result } = props;
  let next: string | undefined;
  if (result.ok && result.data.nextCursor) {
    const params = new URLSearchParams({ ...query, cursor: result.data.nextCursor });
    next = `/admin/audit?${params}`;
  }
  return (
    <Page title="Audit log" {...props} current="/admin/audit">
      <h1>Audit log</h1>
      <p>Every merchant and admin write: who, what, before and after. Filters combine.</p>
      <form method="get" action="/admin/audit" class="filters">
        {AUDIT_FILTERS.map((f) => (
          <div>
            <label for={`f-${f.name}`}>{f.label}</label>
            <input id={`f-${f.name}`} name={f.name} value={query[f.name] ?? ''} placeholder={f.placeholder} />
          </div>
        ))}
        <div>
          <button type="submit">Filter</button> <a href="/admin/audit">Clear</a>
        </div>
      </form>
      {!result.ok && (
        <p class="error" role="alert">
          {result.status === 400 ? 'Check the filters: ' : `Could not read the audit log (${result.status}): `}
          {result.message}
        </p>
      )}
      {result.ok && <Entries page={result.data} next={next} />}
    </Page>
  );
}
