// The chaos suite's faults, injected one at a time through ChaosControls (the local stack's own processes:
// dev/stack.ts directly for `npm run chaos`, or the test stack's control endpoint for the short CI version).

export type Signal = 'SIGSTOP' | 'SIGCONT' | 'SIGKILL';

export interface ChaosControls {
  /** `signal` to the Postgres primary (`primary`) or a replica (its index) and every backend of it. */
  signalPostgres(server: 'primary' | number, signal: Signal): Promise<void>;
  /** Starts a crashed server again (crash recovery), and waits until it answers (a replica: until it streams). */
  startPostgres(server: 'primary' | number): Promise<void>;
  /** Stops / starts redis-server behind the Upstash bridge (absent: the stack runs without Redis). */
  stopRedis?(): Promise<void>;
  startRedis?(): Promise<void>;
  /**
   * The local Stripe's injected faults (all 0: none): added latency, a share of 500s before anything runs, and a
   * share of requests that run (a charge made, kept under its Idempotency-Key) but answer 500.
   */
  stripeFaults(delayMs: number, errorRate: number, lostRate?: number): Promise<void>;
  /** Added latency between the workers and the primary (absent: the stack has no fault proxy). */
  postgresLatency?(ms: number): Promise<void>;
  /** SIGKILL to wrangler and workerd at once / start them again on the same ports and state. */
  crashWorkers(): Promise<void>;
  startWorkers(): Promise<void>;
}

export interface Fault {
  name: string;
  what: string;
  inject(c: ChaosControls): Promise<void>;
  heal(c: ChaosControls): Promise<void>;
  /** What the stack must have (skipped, and said so, without it). */
  needs?: 'redis' | 'dbFaultProxy';
  /** Injected while a checkout is in flight (waits for one, at most 5 s). */
  duringCheckouts?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const FAULTS: Fault[] = [
  {
    name: 'primary-hung',
    what: 'Postgres primary hung (SIGSTOP to it and its backends), then continued (SIGCONT)',
    inject: (c) => c.signalPostgres('primary', 'SIGSTOP'),
    heal: (c) => c.signalPostgres('primary', 'SIGCONT'),
  },
  {
    name: 'primary-killed',
    what: 'Postgres primary killed (SIGKILL), then started again with crash recovery',
    inject: (c) => c.signalPostgres('primary', 'SIGKILL'),
    heal: async (c) => {
      await sleep(200); // let the exit be seen before the start
      await c.startPostgres('primary');
    },
  },
  {
    name: 'replica-killed',
    what: 'the us read replica killed (SIGKILL), then started again',
    inject: (c) => c.signalPostgres(0, 'SIGKILL'),
    heal: async (c) => {
      await sleep(200);
      await c.startPostgres(0);
    },
  },
  {
    name: 'stripe-slow',
    what: "Stripe answers every API request 5 s late (past the checkout's own Stripe deadline)",
    inject: (c) => c.stripeFaults(5000, 0),
    heal: (c) => c.stripeFaults(0, 0),
  },
  {
    name: 'stripe-5xx',
    what: 'Stripe answers a third of the API requests 500 before running them, and loses the answer of another third',
    inject: (c) => c.stripeFaults(0, 0.33, 0.33),
    heal: (c) => c.stripeFaults(0, 0),
  },
  {
    name: 'redis-down',
    what: 'redis-server behind the Upstash bridge stopped (the rate-limit store), then started',
    needs: 'redis',
    inject: (c) => c.stopRedis!(),
    heal: (c) => c.startRedis!(),
  },
  {
    name: 'postgres-latency',
    what: 'every packet between the workers and the Postgres primary held 400 ms (the fault proxy)',
    needs: 'dbFaultProxy',
    inject: (c) => c.postgresLatency!(400),
    heal: (c) => c.postgresLatency!(0),
  },
  {
    name: 'workers-crashed',
    what: 'wrangler and workerd killed (SIGKILL) in the middle of checkouts, then started again',
    duringCheckouts: true,
    inject: (c) => c.crashWorkers(),
    heal: (c) => c.startWorkers(),
  },
];

/** The faults named in `names` (comma-separated; all when empty), or an error naming an unknown one. */
export function faultsNamed(names: string | undefined): Fault[] {
  const list = (names ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length) return FAULTS;
  return list.map((n) => {
    const f = FAULTS.find((x) => x.name === n);
    if (!f) throw new Error(`unknown fault ${JSON.stringify(n)} (one of ${FAULTS.map((x) => x.name).join(', ')})`);
    return f;
  });
}
