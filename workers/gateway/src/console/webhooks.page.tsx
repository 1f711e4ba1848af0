/** @jsxImportSource hono/jsx */
// Webhook endpoints (/admin/webhooks, merchant role): the list, a form to register one for chosen events, and per
// endpoint turning it off and on, rotating its secret and deleting it; one endpoint's delivery log
// (/admin/webhooks/:id), newest first with every attempt. A new secret (register, rotate) is shown once, on the
// answer to that POST itself: the API never shows it again, and a redirect would have to carry it in a URL.
import type { Schemas } from '../../../../lib/client';
import { WEBHOOK_EVENT_TYPES } from '../../../../lib/contracts/notifications';
import { Notice } from './fields';
import { type Nav, Page } from './layout';
import type { Part } from './ops.data';
import { Problem, when } from './orders.page';
import { cell, row, Table } from './table';

type Endpoint = Schemas['WebhookEndpoint'];

function Hidden({ csrf }: { csrf?: string }) {
  return <input type="hidden" name="csrf" value={csrf} />;
}

function EndpointActions({ e, csrf }: { e: Endpoint; csrf?: string }) {
  const base = `/admin/webhooks/${e.id}`;
  return (
    <div class="actions">
      <form method="post" action={`${base}/${e.enabled ? 'disable' : 'enable'}`}>
        <Hidden csrf={csrf} />
        <button type="submit" class="secondary" aria-label={`${e.enabled ? 'Turn off' : 'Turn on'} ${e.url}`}>
          {e.enabled ? 'Turn off' : 'Turn on'}
        </button>
      </form>
      <form method="post" action={`${base}/secret`}>
        <Hidden csrf={csrf} />
        <button type="submit" class="secondary" aria-label={`Rotate the secret of ${e.url}`}>
          Rotate secret
        </button>
      </form>
      <form method="post" action={`${base}/delete`}>
        <Hidden csrf={csrf} />
        <button type="submit" class="danger" aria-label={`Delete ${e.url}`}>
          Delete
        </button>
      </form>
    </div>
  );
}

export interface WebhooksPageProps extends Nav {
  list: Part<Schemas['WebhookList']>;
  error?: string;
  /** The refused form's values (the create form). */
  values?: { url?: string; description?: string; events?: string[] };
  notice?: string;
}

export function WebhooksPage(props: WebhooksPageProps) {
  const { list, values } = props;
  const ticked = new Set(values?.events ?? []);
  return (
    <Page title="Webhooks" {...props} current="/admin/webhooks">
      <h1>Webhooks</h1>
      <Notice text={props.notice} />
      <p>
        Each event is POSTed as signed JSON to the endpoints that want it (docs: <a href="/docs">API reference</a>,
        "Outbound webhooks").
      </p>
      {!list.ok && (
        <Problem id="webhooks-read-error">{`Could not read the endpoints (${list.status}): ${list.message}`}</Problem>
      )}
      {list.ok && (
        <Table
          id="webhooks"
          caption="Endpoints, oldest first"
          empty="No endpoint yet."
          head={['URL', 'Events', 'Description', 'On', 'Actions']}
          rows={list.data.endpoints.map((e) =>
            row(
              [
                <a href={`/admin/webhooks/${e.id}`} aria-label={`Deliveries of ${e.url}`}>
                  {e.url}
                </a>,
                e.events.join(', '),
                e.description ?? '–',
                cell(e.enabled ? 'on' : 'off', { class: e.enabled ? 'good' : 'bad' }),
                <EndpointActions e={e} csrf={props.csrf} />,
              ],
              { 'data-endpoint-id': e.id },
            ),
          )}
        />
      )}
      <section aria-labelledby="h-new-webhook">
        <h2 id="h-new-webhook">New endpoint</h2>
        {props.error && <Problem id="webhook-error">{props.error}</Problem>}
        <form
          method="post"
          action="/admin/webhooks"
          class="stack wide"
          id="webhook-form"
          aria-describedby={props.error ? 'webhook-error' : undefined}
        >
          <Hidden csrf={props.csrf} />
          <label for="webhook-url">URL (https)</label>
          <input id="webhook-url" name="url" type="url" required value={values?.url ?? ''} />
          <label for="webhook-description">Description (optional)</label>
          <input id="webhook-description" name="description" maxlength={200} value={values?.description ?? ''} />
          <fieldset>
            <legend>Events</legend>
            {WEBHOOK_EVENT_TYPES.map((t) => (
              <div class="inline">
                <input id={`event-${t}`} name="events" type="checkbox" value={t} checked={ticked.has(t)} />
                <label for={`event-${t}`}>{t}</label>
              </div>
            ))}
          </fieldset>
          <button type="submit">Register</button>
        </form>
      </section>
    </Page>
  );
}

/** The answer to a register or rotate: the secret, this once. */
export function SecretPage(props: Nav & { result: Schemas['WebhookSecret']; rotated: boolean }) {
  const { endpoint, secret } = props.result;
  return (
    <Page title="Webhook secret" {...props} current="/admin/webhooks">
      <h1>{props.rotated ? 'New secret' : 'Endpoint registered'}</h1>
      <p role="status">
        {props.rotated ? 'The old secret stopped working now. ' : ''}
        The signing secret of <code>{endpoint.url}</code> is shown <strong>only this once</strong>: keep it at the
        receiver to check each delivery's signature.
      </p>
      <label for="webhook-secret">Signing secret</label>
      {/* Never kept by the browser's form history or offered again by autofill. */}
      <input id="webhook-secret" class="secret" readonly autocomplete="off" value={secret} size={60} />
      <p>
        <a href={`/admin/webhooks/${endpoint.id}`}>Its delivery log</a> · <a href="/admin/webhooks">All endpoints</a>
      </p>
    </Page>
  );
}

function Deliveries({ page, next }: { page: Schemas['WebhookDeliveryList']; next?: string }) {
  const stateClass = (state: string) => (state === 'delivered' ? 'good' : state === 'pending' ? undefined : 'bad');
  return (
    <Table
      id="deliveries"
      caption="Deliveries, newest first"
      empty="Nothing delivered yet."
      head={['Event', 'Type', 'State', 'Attempts (status, latency, error, time UTC)']}
      rows={page.deliveries.map((d) =>
        row(
          [
            <code>{d.eventId}</code>,
            d.eventType,
            cell(d.state, { class: stateClass(d.state) }),
            <ol class="attempts">
              {d.attempts.map((a) => (
                <li>
                  {a.statusCode ?? 'no answer'}, {a.latencyMs} ms{a.error ? `, ${a.error}` : ''}, {when(a.at)}
                </li>
              ))}
            </ol>,
          ],
          { 'data-event-id': d.eventId },
        ),
      )}
      next={{ href: next, label: 'Older deliveries' }}
    />
  );
}

export function WebhookPage(
  props: Nav & { endpoint: Endpoint; deliveries: Part<Schemas['WebhookDeliveryList']>; notice?: string },
) {
  const { endpoint, deliveries } = props;
  const next =
    deliveries.ok && deliveries.data.nextCursor
      ? `/admin/webhooks/${endpoint.id}?cursor=${encodeURIComponent(deliveries.data.nextCursor)}`
      : undefined;
  return (
    <Page title="Webhook deliveries" {...props} current="/admin/webhooks">
      <p>
        <a href="/admin/webhooks">All endpoints</a>
      </p>
      <h1>Deliveries</h1>
      <Notice text={props.notice} />
      <dl class="facts">
        <dt>URL</dt>
        <dd>
          <code>{endpoint.url}</code>
        </dd>
        <dt>Events</dt>
        <dd>{endpoint.events.join(', ')}</dd>
        <dt>On</dt>
        <dd>{endpoint.enabled ? 'on' : 'off'}</dd>
        <dt>Registered (UTC)</dt>
        <dd>{when(endpoint.createdAt)}</dd>
      </dl>
      <EndpointActions e={endpoint} csrf={props.csrf} />
      <p>
        <a href={`/admin/webhooks/${endpoint.id}`}>Refresh</a>
      </p>
      {!deliveries.ok && (
        <Problem id="deliveries-error">
          Could not read the deliveries ({deliveries.status}): {deliveries.message}
        </Problem>
      )}
      {deliveries.ok && <Deliveries page={deliveries.data} next={next} />}
    </Page>
  );
}
