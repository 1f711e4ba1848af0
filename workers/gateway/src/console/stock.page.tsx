/** @jsxImportSource hono/jsx */
// A product's stock page (/admin/products/:slug/stock): each variant's live levels (GET /v1/inventory/:sku, from
// its InventoryDO), a form to set or adjust one with a reason (PUT /v1/admin/inventory/:sku, POST .../adjustments),
// and the ledger of the chosen SKU (GET /v1/admin/inventory/:sku/events): who, why, the change and the levels it
// left, newest first, keyset pages.
import type { Schemas } from '../../../../lib/client';
import { Errors, type Failed, Field, Notice, shown } from './fields';
import { type Nav, Page } from './layout';
import type { Part } from './ops.data';
import { productHref } from './products.page';
import { cell, row, Table } from './table';

export const STOCK_PARAMS = ['sku', 'cursor', 'done'];
/** Ledger events per page. */
export const LEDGER_PAGE = 20;

type Product = Schemas['AdminProduct'];

function Levels({ p, levels, sku }: { p: Product; levels: Part<Schemas['Inventory']>[]; sku: string }) {
  const base = `${productHref(p.slug)}/stock`;
  const level = (l: Schemas['Inventory'], name: 'onHand' | 'held' | 'sold' | 'available') =>
    cell(l[name], { 'data-level': name });
  return (
    <Table
      id="levels"
      caption="Live stock per variant"
      empty="No variant."
      head={['SKU', 'Variant', 'On hand', 'Held', 'Sold', 'Available']}
      rows={p.variants.map((v, i) => {
        const l = levels[i]!;
        const link = (
          <a href={`${base}?sku=${encodeURIComponent(v.sku)}`} aria-current={v.sku === sku ? 'true' : undefined}>
            {v.sku}
          </a>
        );
        const figures = l.ok
          ? [level(l.data, 'onHand'), level(l.data, 'held'), level(l.data, 'sold'), level(l.data, 'available')]
          : [cell(`Could not read: ${l.status || 'no answer'} ${l.message}`, { colspan: 4, class: 'bad' })];
        return row([link, v.title, ...figures], { 'data-sku': v.sku });
      })}
    />
  );
}

function ChangeForm({ p, sku, csrf, failed }: { p: Product; sku: string; csrf?: string; failed?: Failed }) {
  const v = shown(failed, 'stock', { sku, kind: 'set' });
  return (
    <form method="post" action={`${productHref(p.slug)}/stock`} class="wide">
      <Errors failed={failed} form="stock" />
      <input type="hidden" name="csrf" value={csrf} />
      <fieldset class="grid">
        <legend>Change stock</legend>
        <div class="field">
          <label for="stock-sku">SKU</label>
          <select id="stock-sku" name="sku">
            {p.variants.map((variant) => (
              <option value={variant.sku} selected={variant.sku === v.sku}>
                {variant.sku} ({variant.title})
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="stock-kind">Change</label>
          <select id="stock-kind" name="kind">
            <option value="set" selected={v.kind !== 'adjust'}>
              Set on hand to (a count)
            </option>
            <option value="adjust" selected={v.kind === 'adjust'}>
              Adjust by (+ received, − lost)
            </option>
          </select>
        </div>
        <Field id="stock-quantity" name="quantity" label="Quantity" value={v.quantity} required />
        <Field
          id="stock-reason"
          name="reason"
          label="Reason (kept in the ledger)"
          value={v.reason}
          required
          hint="Such as: stock count, goods received, damaged"
        />
      </fieldset>
      <button type="submit">Save stock</button>
    </form>
  );
}

function Ledger({ ledger, next }: { ledger: Part<Schemas['InventoryEventPage']>; next?: string }) {
  if (!ledger.ok)
    return (
      <p class="error" role="alert">
        Could not read the ledger: {ledger.status || 'no answer'} {ledger.message}
      </p>
    );
  return (
    <Table
      id="ledger"
      caption={`Stock ledger of ${ledger.data.sku}, newest first`}
      empty="No change recorded yet."
      head={['#', 'Time (UTC)', 'Kind', 'Change', 'Who', 'Why', 'On hand · held · sold · available after']}
      rows={ledger.data.events.map((e) =>
        row(
          [
            e.seq,
            e.at.slice(0, 19).replace('T', ' '),
            <code>{e.kind}</code>,
            e.delta > 0 ? `+${e.delta}` : e.delta,
            <>
              {e.actor.type}
              {e.actor.id && (
                <>
                  {' '}
                  <code>{e.actor.id.slice(0, 12)}</code>
                </>
              )}
            </>,
            e.reason ?? '–',
            `${e.levels.onHand} · ${e.levels.held} · ${e.levels.sold} · ${e.levels.available}`,
          ],
          { 'data-seq': String(e.seq) },
        ),
      )}
      next={{ href: next, label: 'Older changes' }}
    />
  );
}

export function StockPage(
  props: Nav & {
    product: Product;
    sku: string;
    levels: Part<Schemas['Inventory']>[];
    ledger: Part<Schemas['InventoryEventPage']>;
    failed?: Failed;
    notice?: string;
  },
) {
  const { product: p, sku, ledger } = props;
  const base = `${productHref(p.slug)}/stock`;
  const next =
    ledger.ok && ledger.data.nextCursor
      ? `${base}?${new URLSearchParams({ sku, cursor: ledger.data.nextCursor })}`
      : undefined;
  return (
    <Page title={`Stock · ${p.title}`} {...props} current="/admin/products">
      <p>
        <a href={productHref(p.slug)}>← {p.title}</a>
      </p>
      <h1>Stock: {p.title}</h1>
      <Notice text={props.notice} />
      <Levels p={p} levels={props.levels} sku={sku} />
      <ChangeForm p={p} sku={sku} csrf={props.csrf} failed={props.failed} />
      <section aria-labelledby="h-ledger">
        <h2 id="h-ledger">Ledger: {sku}</h2>
        <Ledger ledger={ledger} next={next} />
      </section>
    </Page>
  );
}
