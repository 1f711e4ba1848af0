/** @jsxImportSource hono/jsx */
// Dead letters and stuck tasks (/admin/dead-letters, admin role, as the APIs behind it): the outbox tasks of
// orders whose last run failed (GET /v1/admin/tasks) with retry and give-up; the messages of the `orders` Queue
// (GET /v1/admin/dead-letters) and of the notifications Queues (GET /v1/admin/notifications/dead-letters) that ran
// out of retries, each replayable alone or all at once. Every action is a plain form; a refusal shows here.
import type { Schemas } from '../../../../lib/client';
import { Notice } from './fields';
import { type Nav, Page } from './layout';
import type { Part } from './ops.data';
import { Problem, when } from './orders.page';

export const QUEUES = { orders: 'the orders Queue', notifications: 'the notifications Queues' } as const;
export type QueueName = keyof typeof QUEUES;

export interface DeadLettersData {
  tasks: Part<Schemas['StuckTaskList']>;
  orders: Part<Schemas['DeadLetters']>;
  notifications: Part<Schemas['NotificationDeadLetterList']>;
}

type Letter = {
  id: string;
  type: string;
  subject: string;
  attempts: number;
  lastSeenAt: string;
  replayedAt: string | null;
};

function Post(props: {
  action: string;
  csrf?: string;
  label: string;
  button: string;
  fields?: Record<string, string>;
}) {
  return (
    <form method="post" action={props.action} class="inline">
      <input type="hidden" name="csrf" value={props.csrf} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class="secondary" aria-label={props.label}>
        {props.button}
      </button>
    </form>
  );
}

function Tasks({ tasks, csrf }: { tasks: Schemas['StuckTask'][]; csrf?: string }) {
  if (tasks.length === 0) return <p class="muted">No task is failing.</p>;
  return (
    <div class="scroll">
      <table id="stuck-tasks">
        <caption>Failing tasks, most attempts first</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Task</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col">Next attempt (UTC)</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr data-task-id={t.id}>
              <th scope="row">
                <a href={`/admin/orders/${t.orderId}`}>{t.orderId}</a>
              </th>
              <td>{t.kind}</td>
              <td>{t.attempts}</td>
              <td>{t.lastError ?? '–'}</td>
              <td>{when(t.nextAttemptAt)}</td>
              <td class="actions">
                <Post
                  action={`/admin/tasks/${t.id}/retry`}
                  csrf={csrf}
                  label={`Retry the ${t.kind} task of ${t.orderId}`}
                  button="Retry now"
                />
                <Post
                  action={`/admin/tasks/${t.id}/give-up`}
                  csrf={csrf}
                  label={`Give up the ${t.kind} task of ${t.orderId}`}
                  button="Give up"
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Letters(props: { queue: QueueName; letters: Letter[]; waiting: number; csrf?: string }) {
  const { queue, letters, csrf } = props;
  return (
    <>
      <p>
        {props.waiting} waiting.{' '}
        {props.waiting > 0 && (
          <Post
            action="/admin/dead-letters/replay"
            csrf={csrf}
            fields={{ queue }}
            label={`Replay every waiting dead letter of ${QUEUES[queue]}`}
            button="Replay all waiting"
          />
        )}
      </p>
      {letters.length === 0 ? (
        <p class="muted">No dead letter.</p>
      ) : (
        <div class="scroll">
          <table id={`dead-${queue}`}>
            <caption>Dead letters of {QUEUES[queue]}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Message</th>
                <th scope="col">Type</th>
                <th scope="col">Subject</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last seen (UTC)</th>
                <th scope="col">Replayed</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {letters.map((l) => (
                <tr data-letter-id={l.id}>
                  <th scope="row">
                    <code>{l.id}</code>
                  </th>
                  <td>{l.type}</td>
                  <td>{l.subject}</td>
                  <td>{l.attempts}</td>
                  <td>{when(l.lastSeenAt)}</td>
                  <td>{l.replayedAt ? when(l.replayedAt) : 'no'}</td>
                  <td>
                    <Post
                      action="/admin/dead-letters/replay"
                      csrf={csrf}
                      fields={{ queue, id: l.id }}
                      label={`Replay ${l.id}`}
                      button="Replay"
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const failedText = (what: string, p: Part<unknown>) =>
  p.ok ? '' : `Could not read ${what} (${p.status}): ${p.message}`;

export function DeadLettersPage(props: Nav & { data: DeadLettersData; all: boolean; error?: string; notice?: string }) {
  const { data, csrf } = props;
  return (
    <Page title="Dead letters" {...props} current="/admin/dead-letters">
      <h1>Dead letters and stuck tasks</h1>
      <Notice text={props.notice} />
      {props.error && <Problem id="dead-letters-error">{props.error}</Problem>}
      <p>
        {props.all ? (
          <a href="/admin/dead-letters">Hide the replayed ones</a>
        ) : (
          <a href="/admin/dead-letters?all=true">Show the replayed ones too</a>
        )}
      </p>
      <section aria-labelledby="h-tasks">
        <h2 id="h-tasks">Stuck tasks</h2>
        <p class="muted">
          Side effects of orders that keep failing (e.g. a refund Stripe refuses). Each is retried with backoff; retry
          runs it now, give-up drops it (a refund not yet taken by Stripe becomes failed).
        </p>
        {!data.tasks.ok && <Problem id="tasks-error">{failedText('the tasks', data.tasks)}</Problem>}
        {data.tasks.ok && <Tasks tasks={data.tasks.data.tasks} csrf={csrf} />}
      </section>
      <section aria-labelledby="h-dead-orders">
        <h2 id="h-dead-orders">Orders Queue</h2>
        {!data.orders.ok && <Problem id="dead-orders-error">{failedText('the dead letters', data.orders)}</Problem>}
        {data.orders.ok && (
          <Letters queue="orders" letters={data.orders.data.letters} waiting={data.orders.data.waiting} csrf={csrf} />
        )}
      </section>
      <section aria-labelledby="h-dead-notifications">
        <h2 id="h-dead-notifications">Emails and webhook deliveries</h2>
        {!data.notifications.ok && (
          <Problem id="dead-notifications-error">{failedText('the dead letters', data.notifications)}</Problem>
        )}
        {data.notifications.ok && (
          <Letters
            queue="notifications"
            letters={data.notifications.data.letters}
            waiting={data.notifications.data.waiting}
            csrf={csrf}
          />
        )}
      </section>
    </Page>
  );
}
