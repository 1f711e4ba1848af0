// A local server speaking the Workers Analytics Engine SQL API's protocol, for tests of the production figures
// path (FIGURES_SOURCE=analytics-engine with CF_API_BASE pointed here): `POST
// /client/v4/accounts/<account>/analytics_engine/sql` with `Authorization: Bearer <token>` and the statement as the
// body; 401 with Cloudflare's error envelope for another token, 404 for another account or path, 400 for a statement
// without `FORMAT JSON` (the API's default is tab-separated text, which the client cannot read); else the rows the
// test's `answer` gives for the statement, in the API's JSON shape (`meta`, `data`, `rows`,
// `rows_before_limit_at_least`). It does not evaluate SQL: a test answers the statements it expects and checks the
// SQL it received (`statements`). Loopback only, on a port the OS picks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Row = Record<string, string | number | null>;

export interface AeSqlServer {
  url: string;
  /** Every statement received, in order. */
  statements: string[];
  close(): Promise<void>;
}

export async function startAeSqlServer(o: {
  accountId: string;
  token: string;
  answer: (sql: string) => Row[];
}): Promise<AeSqlServer> {
  const statements: string[] = [];
  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const failure = (code: number, message: string) => ({ success: false, errors: [{ code, message }], messages: [] });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== `/client/v4/accounts/${o.accountId}/analytics_engine/sql`)
        return reply(res, 404, failure(7003, 'Could not route to the requested path'));
      if (req.headers.authorization !== `Bearer ${o.token}`)
        return reply(res, 401, failure(10000, 'Authentication error'));
      const sql = Buffer.concat(chunks).toString('utf8');
      statements.push(sql);
      if (!/\bFORMAT\s+JSON\s*$/i.test(sql)) return reply(res, 400, failure(1000, 'only FORMAT JSON is answered here'));
      let data: Row[];
      try {
        data = o.answer(sql);
      } catch (err) {
        return reply(res, 422, failure(1000, String(err)));
      }
      const meta = Object.keys(data[0] ?? {}).map((name) => ({
        name,
        type: typeof data[0]![name] === 'number' ? 'Float64' : 'String',
      }));
      reply(res, 200, { meta, data, rows: data.length, rows_before_limit_at_least: data.length });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statements,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
