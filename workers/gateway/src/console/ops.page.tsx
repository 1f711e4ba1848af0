/** @jsxImportSource hono/jsx */
// The ops page (/admin/ops, admin role): the figures of a window as charts and tables, the SLOs with their error
// budgets and burn, the alerts, the breakers, the dead letters and the Queue's backlog as the system knows it.
// The data region is also served alone (?part=figures), which the page's script fetches every few seconds and
// swaps in; without the script the page has a refresh link. Definitions of every figure: docs/operations.md.
import type { Schemas } from '../../../../lib/client';
import { BarChart, fmt, LineChart } from './charts';
import { type Nav, Page } from './layout';
import { minutesOf, money, type OpsData, onMinutes, type Part, percent, WINDOWS } from './ops.data';
import { Alerts, Breakers, Figure, Queue, Requests, Slos, WorkerCalls } from './ops.sections';

function Failed({ what, part }: { what: string; part: Part<unknown> }) {
  if (part.ok) return null;
  return (
    <p class="error" role="alert">
      Could not read {what}: {part.status || 'no answer'} {part.message}
    </p>
  );
}

function Headline({ f }: { f: Schemas['OpsFigures'] }) {
  const t = f.requests.total;
  const b = f.business;
  const revenue = b.revenue.byCurrency.map((r) => money(r.amount, r.currency)).join(', ') || '–';
  return (
    <dl class="figures">
      <Figure name="requests" label="Requests" value={fmt(t.requests)} />
      <Figure name="requests-per-minute" label="Requests / min" value={fmt(t.perMinute)} />
      <Figure name="p50" label="p50" value={fmt(t.p50, 'ms')} />
      <Figure name="p95" label="p95" value={fmt(t.p95, 'ms')} />
      <Figure name="p99" label="p99" value={fmt(t.p99, 'ms')} />
      <Figure name="rate-4xx" label="4xx" value={percent(t.rate4xx)} />
      <Figure name="rate-5xx" label="5xx" value={percent(t.rate5xx)} />
      <Figure name="cache-hit-ratio" label="Cache hit ratio" value={percent(f.requests.cache.hitRatio)} />
      <Figure name="rate-limited" label="Rate limited" value={percent(f.requests.rateLimited.share)} />
      <Figure name="orders-accepted" label="Orders accepted" value={fmt(b.orders.accepted)} />
      <Figure name="orders-paid" label="Orders paid" value={fmt(b.orders.paid)} />
      <Figure name="revenue" label="Revenue (paid)" value={revenue} />
      <Figure name="conversion" label="Conversion" value={percent(f.funnel.conversionRate)} />
      <Figure name="abandonment" label="Cart abandonment" value={percent(f.funnel.abandonmentRate)} />
      <Figure
        name="replica-lag"
        label="Replica lag"
        value={b.replica.configured ? fmt(b.replica.lagSeconds, 's') : 'no replica'}
      />
    </dl>
  );
}

const hhmm = (iso: string) => iso.slice(11, 16);

function Charts({ f }: { f: Schemas['OpsFigures'] }) {
  const minutes = minutesOf(f.window);
  const labels = minutes.map(hhmm);
  const rows = f.requests.minutes;
  const perHour = f.business.revenue.perHour;
  return (
    <div class="charts">
      <LineChart
        id="chart-requests"
        title="Requests per minute"
        labels={labels}
        series={[
          { name: 'requests', values: onMinutes(minutes, rows, (r) => r.requests) },
          { name: '4xx', values: onMinutes(minutes, rows, (r) => r.status4xx) },
          { name: '5xx', values: onMinutes(minutes, rows, (r) => r.status5xx) },
        ]}
      />
      <LineChart
        id="chart-latency"
        title="Latency per minute (ms)"
        unit="ms"
        labels={labels}
        series={[
          { name: 'p50', values: onMinutes(minutes, rows, (r) => r.p50, null) },
          { name: 'p95', values: onMinutes(minutes, rows, (r) => r.p95, null) },
          { name: 'p99', values: onMinutes(minutes, rows, (r) => r.p99, null) },
        ]}
      />
      <LineChart
        id="chart-orders"
        title="Orders accepted per minute"
        labels={labels}
        series={[{ name: 'orders', values: onMinutes(minutes, f.business.orders.perMinute, (r) => r.accepted) }]}
      />
      <BarChart
        id="chart-revenue"
        title="Revenue per hour (paid orders)"
        rows={perHour.map((r) => ({
          label: `${r.hour.slice(0, 13).replace('T', ' ')}h ${r.currency}`,
          value: r.amount,
          text: `${money(r.amount, r.currency)} · ${r.orders} orders`,
        }))}
      />
    </div>
  );
}

/** The data region: what the live refresh swaps. */
export function OpsRegion({ data, at }: { data: OpsData; at: string }) {
  const f = data.figures.ok ? data.figures.data : undefined;
  return (
    <div id="ops-live" data-updated={at}>
      <p class="muted">
        Window: last {data.minutes} minutes
        {f && ` (${f.window.from} to ${f.window.to}, source ${f.source})`}. Read at <time datetime={at}>{at}</time>.
      </p>
      <section aria-labelledby="h-figures">
        <h2 id="h-figures">Figures</h2>
        <Failed what="the figures" part={data.figures} />
        {f && <Headline f={f} />}
        {f && <Charts f={f} />}
        {f && <Requests f={f} />}
        {f && <WorkerCalls f={f} />}
      </section>
      <section aria-labelledby="h-slo">
        <h2 id="h-slo">Service level objectives</h2>
        <Failed what="the SLOs" part={data.slo} />
        {data.slo.ok && <Slos slo={data.slo.data} />}
      </section>
      <section aria-labelledby="h-alerts">
        <h2 id="h-alerts">Alerts</h2>
        <Failed what="the alerts" part={data.alerts} />
        {data.alerts.ok && <Alerts alerts={data.alerts.data} />}
      </section>
      <section aria-labelledby="h-breakers">
        <h2 id="h-breakers">Breakers</h2>
        <Failed what="the breakers" part={data.breakers} />
        {data.breakers.ok && <Breakers b={data.breakers.data} />}
      </section>
      <section aria-labelledby="h-queue">
        <h2 id="h-queue">Queue, outbox and dead letters</h2>
        <Failed what="the dead letters" part={data.deadLetters} />
        <Queue f={f} dl={data.deadLetters.ok ? data.deadLetters.data : undefined} />
      </section>
    </div>
  );
}

export function OpsPage(props: Nav & { data: OpsData; at: string; refreshSeconds: number }) {
  const { data } = props;
  const self = `/admin/ops?minutes=${data.minutes}`;
  return (
    <Page title="Ops" {...props} current="/admin/ops">
      <h1>Ops</h1>
      <div class="toolbar">
        <form method="get" action="/admin/ops" class="inline">
          <label for="minutes">Window</label>
          <select id="minutes" name="minutes">
            {WINDOWS.map((m) => (
              <option value={String(m)} selected={m === data.minutes}>
                {m < 60 ? `${m} minutes` : `${m / 60} hours`}
              </option>
            ))}
          </select>
          <button type="submit">Show</button>
        </form>
        <a href={self} id="ops-refresh">
          Refresh now
        </a>
        <span id="ops-live-status" class="muted" role="status" />
      </div>
      <div
        data-live-src={`/admin/ops?part=figures&minutes=${data.minutes}`}
        data-live-every={String(props.refreshSeconds)}
        data-live-status="ops-live-status"
      >
        <OpsRegion data={data} at={props.at} />
      </div>
    </Page>
  );
}
