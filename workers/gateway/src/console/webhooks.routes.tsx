/** @jsxImportSource hono/jsx */
// The console's webhook pages (merchant role) and its dead letters and stuck tasks (admin role, as the APIs they
// call): clients of /v1/admin/webhooks, /v1/admin/tasks, /v1/admin/dead-letters and
// /v1/admin/notifications/dead-letters, called in-process as the signed-in user. Writes are plain forms: a 303 back
// to the list, or the page again with the API's refusal; registering an endpoint and rotating its secret answer the
// secret on their own page instead (shown once: it must not travel in a redirect's URL).
import { Hono } from 'hono';
import { type DeadLettersData, DeadLettersPage, QUEUES, type QueueName } from './deadletters.page';
import { badRequest, checkedForm, csrfOf, failedPage, html, notices, pages, queryOf, statusOf } from './kit';
import { type Part, part } from './ops.data';
import { webhookCreateOf } from './orders.forms';
import { refusal } from './orders.page';
import { apiOf, type ConsoleApp, type ConsoleContext, requireSession } from './session';
import { SecretPage, WebhookPage, WebhooksPage, type WebhooksPageProps } from './webhooks.page';

const NOTICES: Record<string, string> = {
  enable: 'Endpoint turned on.',
  disable: 'Endpoint turned off: nothing is sent to it until it is turned on again.',
  delete: 'Endpoint deleted, with its delivery log.',
  retry: 'Task run again (if it failed again, it is still listed).',
  'give-up': 'Task given up.',
  replay: 'Sent back to its Queue.',
};
const notice = notices(NOTICES);
const noticeOf = (q: Record<string, string> | undefined) => notice(q?.done);
const token = (c: ConsoleContext) => c.get('session')!.accessToken;

async function webhooksPage(c: ConsoleContext, shown: Omit<WebhooksPageProps, 'list'> = {}, status = 200) {
  const list = await part(apiOf(c, token(c)).GET('/v1/admin/webhooks'));
  const q = queryOf(c, ['done']);
  const props = { notice: shown.error ? undefined : noticeOf(q), ...shown };
  const page = <WebhooksPage list={list} {...props} session={c.get('session')} csrf={await csrfOf(c)} />;
  return html(c, page, shown.error ? status : statusOf(list));
}

const DEAD_LETTER_PARAMS = ['all', 'done'];

async function deadLettersPage(c: ConsoleContext, error?: string, status?: number) {
  const q = queryOf(c, DEAD_LETTER_PARAMS) ?? {};
  const all = q.all === 'true';
  const api = apiOf(c, token(c));
  const includeReplayed = all ? 'true' : 'false';
  const [tasks, orders, notifications] = await Promise.all([
    part(api.GET('/v1/admin/tasks', { params: { query: { limit: 100 } } })),
    part(api.GET('/v1/admin/dead-letters', { params: { query: { includeReplayed, limit: 100 } } })),
    part(api.GET('/v1/admin/notifications/dead-letters', { params: { query: { includeReplayed } } })),
  ]);
  const data: DeadLettersData = { tasks, orders, notifications };
  // Each list that could not be read says so on the page; when none could, the page is a failure too.
  const failed = [tasks, orders, notifications].every((p) => !p.ok) ? statusOf(tasks) : 200;
  const notice = error ? undefined : noticeOf(q);
  const page = (
    <DeadLettersPage
      data={data}
      all={all}
      error={error}
      notice={notice}
      session={c.get('session')}
      csrf={await csrfOf(c)}
    />
  );
  return html(c, page, status ?? failed);
}

export function webhookRoutes(): Hono<ConsoleApp> {
  const r = new Hono<ConsoleApp>();
  const merchant = requireSession('merchant', pages);
  const admin = requireSession('admin', pages);

  r.get('/webhooks', merchant, (c) =>
    queryOf(c, ['done']) ? webhooksPage(c) : badRequest(c, 'Unknown parameter: this page takes done.'),
  );

  r.post('/webhooks', merchant, async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const body = webhookCreateOf(checked.form);
    const created = await part(apiOf(c, token(c)).POST('/v1/admin/webhooks', { body }));
    if (!created.ok) {
      const values = { url: body.url, description: body.description, events: body.events };
      return webhooksPage(c, { error: refusal('Registering the endpoint', created), values }, statusOf(created));
    }
    const page = <SecretPage result={created.data} rotated={false} session={c.get('session')} csrf={await csrfOf(c)} />;
    return html(c, page, 201);
  });

  r.post('/webhooks/:id/:action{enable|disable|delete|secret}', merchant, async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const id = c.req.param('id');
    const action = c.req.param('action');
    const api = apiOf(c, token(c));
    const path = { params: { path: { id } } };
    if (action === 'secret') {
      const rotated = await part(api.POST('/v1/admin/webhooks/{id}/secret', path));
      if (!rotated.ok) return webhooksPage(c, { error: refusal('Rotating the secret', rotated) }, statusOf(rotated));
      const page = <SecretPage result={rotated.data} rotated session={c.get('session')} csrf={await csrfOf(c)} />;
      return html(c, page);
    }
    const done: Part<unknown> =
      action === 'delete'
        ? await part(api.DELETE('/v1/admin/webhooks/{id}', path))
        : await part(api.PATCH('/v1/admin/webhooks/{id}', { ...path, body: { enabled: action === 'enable' } }));
    if (!done.ok) {
      const what = { enable: 'Turning it on', disable: 'Turning it off', delete: 'Deleting it' }[action as 'delete'];
      return webhooksPage(c, { error: refusal(what, done) }, statusOf(done));
    }
    return c.redirect(`/admin/webhooks?done=${action}`, 303);
  });

  r.get('/webhooks/:id', merchant, async (c) => {
    const q = queryOf(c, ['cursor', 'done']);
    if (!q) return badRequest(c, 'Unknown parameter: this page takes cursor and done.');
    const id = c.req.param('id');
    const api = apiOf(c, token(c));
    const path = { id };
    const [endpoint, deliveries] = await Promise.all([
      part(api.GET('/v1/admin/webhooks/{id}', { params: { path } })),
      part(api.GET('/v1/admin/webhooks/{id}/deliveries', { params: { path, query: { limit: 50, cursor: q.cursor } } })),
    ]);
    if (!endpoint.ok) return failedPage(c, 'Reading the endpoint', endpoint);
    const page = (
      <WebhookPage endpoint={endpoint.data} deliveries={deliveries} session={c.get('session')} csrf={await csrfOf(c)} />
    );
    return html(c, page, statusOf(deliveries));
  });

  r.get('/dead-letters', admin, (c) => {
    const q = queryOf(c, DEAD_LETTER_PARAMS);
    if (!q) return badRequest(c, 'Unknown parameter: this page takes all and done.');
    if (q.all !== undefined && q.all !== 'true' && q.all !== 'false')
      return badRequest(c, 'all is true (replayed letters too) or false.');
    return deadLettersPage(c);
  });

  r.post('/dead-letters/replay', admin, async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const queue = checked.form.get('queue') as QueueName;
    // Own names only (`in` would take constructor or toString as a queue).
    if (!Object.hasOwn(QUEUES, queue))
      return deadLettersPage(c, `Unknown queue: one of ${Object.keys(QUEUES).join(', ')}.`, 400);
    // No id field: every waiting letter of the queue (the page's "Replay all"); an empty one is a mistake, not "all".
    const id = checked.form.get('id');
    if (id !== null && !id.trim()) return deadLettersPage(c, 'The letter to replay has no id.', 400);
    const body = id === null ? {} : { ids: [id.trim()] };
    const api = apiOf(c, token(c));
    const replayed = await part(
      queue === 'orders'
        ? api.POST('/v1/admin/dead-letters/replay', { body })
        : api.POST('/v1/admin/notifications/dead-letters/replay', { body }),
    );
    if (!replayed.ok) return deadLettersPage(c, refusal('Replaying', replayed), statusOf(replayed));
    return c.redirect('/admin/dead-letters?done=replay', 303);
  });

  r.post('/tasks/:id/:action{retry|give-up}', admin, async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const action = c.req.param('action') as 'retry' | 'give-up';
    const path = { params: { path: { id: c.req.param('id') } } };
    const api = apiOf(c, token(c));
    const outcome = await part(
      action === 'retry'
        ? api.POST('/v1/admin/tasks/{id}/retry', path)
        : api.POST('/v1/admin/tasks/{id}/give-up', path),
    );
    if (!outcome.ok)
      return deadLettersPage(c, refusal(action === 'retry' ? 'Retrying' : 'Giving up', outcome), statusOf(outcome));
    return c.redirect(`/admin/dead-letters?done=${action}`, 303);
  });

  return r;
}
