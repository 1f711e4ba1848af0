// dev/postgres/setup.ts — how dev/postgres.ts makes its primary and streaming replica: initdb with the shared
// settings and loopback-only scram auth, the database and replication role and slot, the replica as a copy of the
// cleanly stopped primary, and the wait until it streams.
import fs from 'node:fs';
import path from 'node:path';
import { type Bins, DB, type Ids, PASSWORD, run, type Server, USER, waitFor, withClient } from './process';

const REPL_USER = 'replicator',
  REPL_PASSWORD = 'replicator';
/** Each replica's replication slot on the primary: `replica` for the first, `replica_<name>` for another. */
export const slotOf = (replica: Server) => replica.name.replace(/-/g, '_');

// Appended to the primary's postgresql.conf before the replica is copied from it, so both
// share it. Per-server settings (port, primary_conninfo) go on the command line instead,
// so changing ports between runs needs no config rewrite.
const CONF = `
# ---- added by dev/postgres.ts ----
listen_addresses = '127.0.0.1'     # dev server: never reachable from other machines
unix_socket_directories = ''       # TCP only, so no socket/lock files in /tmp clash with other servers
password_encryption = 'scram-sha-256'
wal_level = replica                # enough WAL for a physical standby
max_wal_senders = 4
max_replication_slots = 4          # one slot per replica keeps WAL until it has it: none falls behind for good
hot_standby = on                   # the replica answers read-only queries
wal_retrieve_retry_interval = 1s   # replica reconnects quickly after stopPrimary()/startPrimary()
`;
const HBA = `# Written by dev/postgres.ts: password (scram) auth over TCP on loopback only, no unix sockets.
# TYPE  DATABASE     USER           ADDRESS        METHOD
host    all          all            127.0.0.1/32   scram-sha-256
host    replication  ${REPL_USER}     127.0.0.1/32   scram-sha-256
`;

/** The replica's own settings (command line, so that changing ports between runs needs no config rewrite). */
export const replicaArgs = (primaryPort: number, replica: Server) => [
  '-c',
  `cluster_name=storefront-${replica.name}`,
  '-c',
  `primary_slot_name=${slotOf(replica)}`,
  '-c',
  `primary_conninfo=host=127.0.0.1 port=${primaryPort} user=${REPL_USER} password=${REPL_PASSWORD} application_name=${replica.name}`,
];

export async function initPrimary(s: Server, bins: Bins, ids: Ids): Promise<void> {
  const pwFile = path.join(path.dirname(s.dir), '.pwfile');
  fs.writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (ids) fs.chownSync(pwFile, ids.uid, ids.gid);
  try {
    await run(
      bins.initdb,
      ['-D', s.dir, '-U', USER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'],
      ids,
      120_000,
    );
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  fs.appendFileSync(path.join(s.dir, 'postgresql.conf'), CONF);
  fs.writeFileSync(path.join(s.dir, 'pg_hba.conf'), HBA);
}

/**
 * Idempotent: the database, the replication role and a fresh slot for each replica about to be (re)built (an old one
 * may pin WAL for a deleted replica); the slots of replicas kept as they are stay untouched.
 */
export async function bootstrap(port: number, slots: string[]): Promise<void> {
  await withClient(port, 'postgres', async (c) => {
    if ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount === 0)
      await c.query(`CREATE DATABASE ${DB} OWNER ${USER}`);
    if ((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [REPL_USER])).rowCount === 0) {
      await c.query(`CREATE ROLE ${REPL_USER} WITH REPLICATION LOGIN PASSWORD '${REPL_PASSWORD}'`);
    }
    for (const slot of slots) {
      await c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [
        slot,
      ]);
      await c.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]); // true: reserve WAL from now on
    }
  });
}

/** The replica as a file copy of the cleanly stopped primary; standby.signal last, so a dir without it is unfinished. */
export async function copyPrimaryToReplica(primary: Server, replica: Server, ids: Ids): Promise<void> {
  fs.rmSync(replica.dir, { recursive: true, force: true });
  await run('cp', ['-a', primary.dir, replica.dir], ids);
  // The slot lives on the primary only; a copied one would pin WAL on the replica forever.
  for (const f of fs.readdirSync(path.join(replica.dir, 'pg_replslot')))
    fs.rmSync(path.join(replica.dir, 'pg_replslot', f), { recursive: true });
  fs.rmSync(path.join(replica.dir, 'postmaster.opts'), { force: true });
  fs.writeFileSync(path.join(replica.dir, 'standby.signal'), '');
  if (ids) fs.chownSync(path.join(replica.dir, 'standby.signal'), ids.uid, ids.gid);
}

export function waitStreaming(replica: Server): Promise<void> {
  return waitFor(
    `the ${replica.name} to stream from the primary`,
    replica,
    0,
    () =>
      withClient(
        replica.port,
        'postgres',
        async (c) => (await c.query('SELECT status FROM pg_stat_wal_receiver')).rows[0]?.status === 'streaming',
      ).catch(() => false),
    `\nIf the replica is broken beyond repair, delete ${replica.dir}; it is rebuilt from the primary on the next start.`,
  );
}
