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
import { cell, row, Table } from './table';

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
  return (
    <Table
      id="stuck-tasks"
      caption="Failing tasks, most attempts first"
      empty="No task is failing."
      head={['Order', 'Task', 'Attempts', 'Last error', 'Next attempt (UTC)', 'Actions']}
      rows={tasks.map((t) =>
        row(
          [
            <a href={`/admin/orders/${t.orderId}`}>{t.orderId}</a>,
            t.kind,
            t.attempts,
            t.lastError ?? '–',
            when(t.nextAttemptAt),
            cell(
              <>
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
              </>,
              { class: 'actions' },
            ),
          ],
          { 'data-task-id': t.id },
        ),
      )}
    />
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
      <Table
        id={`dead-${queue}`}
        caption={`Dead letters of ${QUEUES[queue]}, newest first`}
        empty="No dead letter."
        head={['Message', 'Type', 'Subject', 'Attempts', 'Last seen (UTC)', 'Replayed', 'Action']}
        rows={letters.map((l) =>
          row(
            [
              <code>{l.id}</code>,
              l.type,
              l.subject,
              l.attempts,
              when(l.lastSeenAt),
              l.replayedAt ? when(l.replayedAt) : 'no',
              <Post
                action="/admin/dead-letters/replay"
                csrf={csrf}
                fields={{ queue, id: l.id }}
                label={`Replay ${l.id}`}
                button="Replay"
              />,
            ],
            { 'data-letter-id': l.id },
          ),
        )}
      />
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
