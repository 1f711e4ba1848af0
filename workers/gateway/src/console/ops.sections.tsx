/** @jsxImportSource hono/jsx */
// The ops page's tables and figure tiles: routes, refusals, hottest SKUs, SLOs, alerts, breakers, the queue and the
// dead letters (ops.page.tsx puts them together; charts.tsx draws the charts).
import type { Schemas } from '../../../../lib/client';
import { fmt } from './charts';
import { money, percent } from './ops.data';
import { Table } from './table';

/** One headline figure; `name` is its stable key (data-figure), for the tests and for styling. */
export function Figure(props: { name: string; label: string; value: string; hint?: string }) {
  return (
    <div class="figure">
      <dt>{props.label}</dt>
      <dd data-figure={props.name} title={props.hint}>
        {props.value}
      </dd>
    </div>
  );
}

export function Requests({ f }: { f: Schemas['OpsFigures'] }) {
  const routes = [...f.requests.routes].sort((a, b) => b.requests - a.requests).slice(0, 25);
  return (
    <>
      <Table
        caption="Routes (busiest 25)"
        head={['Route', 'Requests', '/ min', '4xx', '5xx', 'p50', 'p95', 'p99']}
        rows={routes.map((r) => [
          r.route,
          fmt(r.requests),
          fmt(r.perMinute),
          `${fmt(r.status4xx)} (${percent(r.rate4xx)})`,
          `${fmt(r.status5xx)} (${percent(r.rate5xx)})`,
          fmt(r.p50),
          fmt(r.p95),
          fmt(r.p99),
        ])}
      />
      <Table
        caption="Refusals by reason"
        head={['Route', 'Status', 'Code', 'Count']}
        rows={f.requests.refusals.map((r) => [r.route, String(r.status), r.code || '–', fmt(r.count)])}
      />
      <Table
        caption="Hottest SKUs"
        head={['SKU', 'Units', 'Orders', 'Amount']}
        rows={f.business.hottestSkus.map((s) => [s.sku, fmt(s.units), fmt(s.orders), money(s.amount, s.currency)])}
      />
    </>
  );
}

const objective = (o: number) => (o <= 1 ? percent(o) : `${o}%`);
const burn = (o: Schemas['SloReport']['journeys'][number]['availability']) =>
  o.burn.map((b) => `${b.window}: ${fmt(b.burnRate)}`).join(', ');

export function Slos({ slo }: { slo: Schemas['SloReport'] }) {
  const rows = slo.journeys.flatMap((j) =>
    (['availability', 'latency'] as const).map((kind) => {
      const o = j[kind];
      return [
        `${j.name} · ${kind}${kind === 'latency' ? ` (≤ ${j.latency.thresholdMs} ms)` : ''}`,
        objective(o.objective),
        percent(o.sli),
        <span class={o.budgetRemaining < 0 ? 'bad' : undefined}>{percent(o.budgetRemaining)}</span>,
        burn(o),
        o.met ? 'met' : <strong class="bad">missed</strong>,
      ];
    }),
  );
  return (
    <Table
      caption={`Objectives over ${slo.windowHours} h`}
      head={['Journey', 'Objective', 'SLI', 'Budget left', 'Burn rate', 'Status']}
      rows={rows}
    />
  );
}

export function Alerts({ alerts }: { alerts: Schemas['AlertsReport'] }) {
  const firing = alerts.rules.filter((r) => r.status === 'firing');
  return (
    <>
      <p data-figure="alerts-firing">
        {firing.length === 0 ? 'No alert firing.' : `${firing.length} firing.`} Last evaluation:{' '}
        {alerts.evaluatedAt ?? 'never'}.
      </p>
      <Table
        caption="Firing"
        head={['Rule', 'Since', 'Value', 'Threshold', 'Detail']}
        rows={firing.map((r) => [r.rule, r.since ?? '–', fmt(r.lastValue), fmt(r.threshold), r.detail ?? ''])}
        empty="Nothing firing."
      />
      <Table
        caption="Recent notifications"
        head={['Rule', 'Kind', 'At', 'Delivery']}
        rows={alerts.history.map((e) => [e.rule, e.kind, e.at, e.delivery])}
        empty="No notification yet."
      />
    </>
  );
}

/** Per worker × breaker: its worst state among fresh reports, isolate counts, and how old the latest report is. */
export function Breakers({ b, now = Date.now() }: { b: Schemas['Breakers']; now?: number }) {
  const rows = [...b.breakers]
    .sort((x, y) => x.worker.localeCompare(y.worker) || x.name.localeCompare(y.name))
    .map((br) => {
      const age = Math.max(0, Math.round((now - Date.parse(br.reportedAt)) / 1000));
      const i = br.isolates;
      return [
        `${br.worker} · ${br.name}`,
        <span class={br.state === 'closed' ? 'good' : 'bad'}>{br.state}</span>,
        br.since,
        `${i.closed} closed, ${i.open} open, ${i.halfOpen} half-open`,
        i.stale > 0 ? <span class="muted">{`${i.stale} stale`}</span> : '0',
        br.retryAt ?? '–',
        `${br.reportedAt} (${fmt(age)} s ago)`,
      ];
    });
  return (
    <>
      <p data-figure="breakers-open">
        {b.open.length === 0 ? 'No breaker open.' : `${b.open.length} not closed.`} A report older than{' '}
        {b.staleAfterSeconds} s of a breaker not closed counts as stale.
      </p>
      <Table
        caption="Circuit breakers"
        head={['Worker · breaker', 'State', 'Since', 'Isolates', 'Stale', 'Retry at', 'Latest report']}
        rows={rows}
        empty="No breaker reported yet (a breaker appears once an isolate has called through it)."
      />
    </>
  );
}

export function Queue({ f, dl }: { f?: Schemas['OpsFigures']; dl?: Schemas['DeadLetters'] }) {
  const o = f?.business.outbox;
  return (
    <>
      {(o || dl) && (
        <dl class="figures">
          {o && (
            <>
              <Figure name="queue-copies" label="Order copies in flight" value={fmt(o.copies)} />
              <Figure name="outbox-pending" label="Outbox tasks pending" value={fmt(o.pending)} />
              <Figure name="outbox-failing" label="Outbox tasks failing" value={fmt(o.failing)} />
              <Figure name="outbox-oldest-due" label="Earliest task due" value={o.oldestDueAt ?? '–'} />
              <Figure name="queue-oldest-copy" label="Oldest order copy waiting since" value={o.oldestCopyAt ?? '–'} />
              <Figure name="levels-pending" label="Stock copies waiting (SKUs)" value={fmt(o.levels.pending)} />
              <Figure name="levels-failing" label="Stock copies failing (SKUs)" value={fmt(o.levels.failing)} />
              <Figure
                name="levels-oldest"
                label="Oldest stock change waiting since"
                value={o.levels.oldestPendingAt ?? '–'}
              />
            </>
          )}
          {f && (
            <Figure
              name="slow-queries"
              label="Slow queries (last hour)"
              value={f.slowQueries ? fmt(f.slowQueries.total) : 'unreadable'}
            />
          )}
          {/* The dead-letters call answers this on its own: shown even when the figures call failed. */}
          <Figure
            name="dead-letters"
            label="Dead letters waiting"
            value={fmt(dl?.waiting ?? f?.business.deadLetters.waiting)}
          />
        </dl>
      )}
      {f?.slowQueries && <SlowQueries slow={f.slowQueries} />}
      {dl && (
        <Table
          caption="Dead letters (newest 10)"
          head={['Id', 'Type', 'Attempts', 'First seen', 'Last seen']}
          rows={dl.letters.map((l) => [l.id, l.type, fmt(l.attempts), l.firstSeenAt, l.lastSeenAt])}
          empty="No dead letter waiting."
        />
      )}
    </>
  );
}

/** The slow queries of the last hour added up per worker (the alert rule reads the same counts). */
function SlowQueries({ slow }: { slow: NonNullable<Schemas['OpsFigures']['slowQueries']> }) {
  const perWorker = new Map<string, number>();
  for (const m of slow.perMinute) perWorker.set(m.worker, (perWorker.get(m.worker) ?? 0) + m.count);
  return (
    <Table
      caption="Slow queries by worker (last hour)"
      head={['Worker', 'Queries']}
      rows={[...perWorker].sort((a, b) => b[1] - a[1]).map(([worker, count]) => [worker, fmt(count)])}
      empty="No slow query in the last hour."
    />
  );
}

/** Every worker's calls from Analytics Engine (production); locally there are none, and the page says why. */
export function WorkerCalls({ f }: { f: Schemas['OpsFigures'] }) {
  if (!f.workers)
    return (
      <p class="muted" data-figure="worker-calls">
        Worker calls come from Analytics Engine (source <code>analytics-engine</code>); this source (
        <code>{f.source}</code>) has none.
      </p>
    );
  const rows = [...f.workers].sort((a, b) => b.calls - a.calls).slice(0, 25);
  return (
    <Table
      caption="Worker calls (busiest 25)"
      head={['Worker · kind · method', 'Calls', 'Items', 'Refused', 'Errors', 'p50', 'p95', 'p99']}
      rows={rows.map((w) => [
        `${w.worker} · ${w.kind} · ${w.className}.${w.method}`,
        fmt(w.calls),
        fmt(w.items),
        fmt(w.refused),
        fmt(w.errors),
        fmt(w.p50),
        fmt(w.p95),
        fmt(w.p99),
      ])}
    />
  );
}
