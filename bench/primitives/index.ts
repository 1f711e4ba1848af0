// The primitives benchmark's worker (bench/primitives/run.ts): GET /?op=<op>&n=<count> runs one operation `count`
// times in a row and answers when done. Bounded: at most 10,000 operations per request.
import { DurableObject, WorkerEntrypoint } from 'cloudflare:workers';

export class Obj extends DurableObject {
  ping(x: unknown) {
    return x;
  }
  read(k: string) {
    this.ctx.storage.sql.exec('create table if not exists t (k text primary key, v int)');
    return this.ctx.storage.sql.exec('select v from t where k = ?', k).toArray();
  }
  write(k: string) {
    this.ctx.storage.sql.exec('create table if not exists t (k text primary key, v int)');
    this.ctx.storage.sql.exec('insert into t values (?, 1) on conflict do nothing', k);
    this.ctx.storage.sql.exec('delete from t where k = ?', k);
  }
}

export class Ep extends WorkerEntrypoint {
  ping(x: unknown) {
    return x;
  }
}

interface Env {
  OBJ: DurableObjectNamespace<Obj>;
  SELF: Service<Ep>;
  RL: RateLimit;
}

// About the size of what a checkout passes between workers.
const payload = { lines: [{ sku: 'SKU-1', quantity: 1, unitAmount: 1000 }], version: 3, email: 'a@b.c' };

export default {
  async fetch(req: Request, env: Env) {
    const u = new URL(req.url);
    const op = u.searchParams.get('op');
    const n = Math.min(10_000, Number(u.searchParams.get('n') ?? 1000));
    const target = u.searchParams.get('target') ?? '';
    const stub = env.OBJ.get(env.OBJ.idFromName('x'));
    for (let i = 0; i < n; i++) {
      if (op === 'do') await stub.ping(payload);
      else if (op === 'dosql') await stub.read('k');
      else if (op === 'sqlw') await stub.write(`k${i}`);
      else if (op === 'svc') await env.SELF.ping(payload);
      else if (op === 'rl') await env.RL.limit({ key: `k${i % 50}` });
      else if (op === 'fetch')
        await (await fetch(target, { method: 'POST', body: '["EVALSHA","abc","1","k"]' })).text();
      else if (op === 'log') console.log(JSON.stringify({ level: 'info', msg: 'request', status: 409, i }));
      else if (op === 'sha') await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(payload)));
    }
    return new Response('ok');
  },
};
