// The one logger of every worker and Durable Object: one JSON line per call, with the level, the message, the
// fields, and the ids of the trace in progress (traceId, spanId, requestId), so a request can be followed across
// workers in Workers Logs. Errors go to console.error, warnings to console.warn, the rest to console.log, so the
// platform's own level filter matches ours.
import { currentTrace, traceIds } from './trace';

type Fields = Record<string, unknown>;

function line(level: 'info' | 'warn' | 'error', msg: string, fields: Fields): string {
  const trace = currentTrace();
  const ids = traceIds(trace);
  return JSON.stringify({
    level,
    msg,
    ...fields,
    ...(trace?.requestId && fields.requestId === undefined ? { requestId: trace.requestId } : {}),
    ...ids,
  });
}

export const log = {
  info(msg: string, fields: Fields = {}) {
    console.log(line('info', msg, fields));
  },
  warn(msg: string, fields: Fields = {}) {
    console.warn(line('warn', msg, fields));
  },
  error(msg: string, fields: Fields = {}) {
    console.error(line('error', msg, fields));
  },
};
