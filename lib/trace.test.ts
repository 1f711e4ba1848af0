// W3C traceparent: what is accepted, what is refused, how a child span is made, and that the ambient trace reaches
// log lines and the next hop.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { log } from './log';
import {
  acceptTraces,
  childTraceparent,
  currentTrace,
  outgoingTrace,
  parseTraceparent,
  traced,
  withTrace,
} from './trace';

const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceparent', () => {
  it('accepts the spec example and a future version with extra fields', () => {
    expect(parseTraceparent(valid)).toEqual({
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
    expect(
      parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-adds'),
    ).toMatchObject({ version: 'cc', flags: '09' });
  });

  it.each([
    ['empty', ''],
    ['uppercase hex', valid.toUpperCase()],
    ['version ff', `ff${valid.slice(2)}`],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['version 00 with a fifth field', `${valid}-extra`],
    ['not hex', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
    ['too long', `cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-${'a'.repeat(600)}`],
  ])('refuses %s', (_, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });
});

describe('childTraceparent', () => {
  it('keeps the trace id and flags of a valid parent, with a new span id', () => {
    const child = parseTraceparent(childTraceparent(valid))!;
    expect(child.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.flags).toBe('01');
    expect(child.parentId).not.toBe('00f067aa0ba902b7');
  });

  it('starts a new sampled trace when the incoming one is missing or invalid', () => {
    for (const incoming of [undefined, 'garbage', `ff${valid.slice(2)}`]) {
      const root = parseTraceparent(childTraceparent(incoming))!;
      expect(root.version).toBe('00');
      expect(root.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(root.flags).toBe('01');
    }
    expect(childTraceparent()).not.toBe(childTraceparent());
  });
});

describe('withTrace and the logger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes the trace ambient across awaits, as a child span, and puts both ids on every log line', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: string) => lines.push(line));
    expect(currentTrace()).toBeUndefined();
    await withTrace({ traceparent: valid, requestId: 'req-1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      const next = parseTraceparent(outgoingTrace()!.traceparent)!;
      expect(next.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(next.parentId).not.toBe('00f067aa0ba902b7');
      log.warn('something happened', { sku: 'X-1' });
    });
    expect(currentTrace()).toBeUndefined();
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      level: 'warn',
      msg: 'something happened',
      sku: 'X-1',
      requestId: 'req-1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(line.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keeps concurrent traces apart', async () => {
    const seen = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        withTrace({ traceparent: childTraceparent(), requestId: id }, async () => {
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          return currentTrace()!.requestId;
        }),
      ),
    );
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});

describe('traced and acceptTraces (the trace across an RPC call)', () => {
  class Receiver {
    seen: unknown[] = [];
    greet(name: string, punctuation = '!') {
      this.seen.push(currentTrace());
      return `hello ${name}${punctuation}`;
    }
  }
  acceptTraces(Receiver);

  it('appends the current span to the call, and the receiver runs a child span of it with its own arguments', async () => {
    const receiver = new Receiver();
    const caller = traced(receiver);
    const answer = await withTrace({ traceparent: valid, requestId: 'req-9' }, async () => caller.greet('ada'));
    // The optional parameter keeps its default: the envelope was taken off before the method saw its arguments.
    expect(answer).toBe('hello ada!');
    const inside = receiver.seen[0] as { traceparent: string; requestId: string };
    expect(inside.requestId).toBe('req-9');
    expect(parseTraceparent(inside.traceparent)!.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('calls an RPC stub as a method: on a stub, `apply` and `call` are remote names too', async () => {
    const receiver = new Receiver();
    // Like a Workers RPC stub: every property is a callable whose own properties are remote methods.
    const stub = new Proxy(receiver, {
      get: (target, prop) => {
        const member = Reflect.get(target, prop);
        if (typeof member !== 'function') return member;
        return new Proxy(member.bind(target), {
          get: (_, name) => () => {
            throw new TypeError(`The RPC receiver does not implement the method "${String(name)}".`);
          },
        });
      },
    });
    const answer = await withTrace({ traceparent: valid }, async () => traced(stub).greet('ada'));
    expect(answer).toBe('hello ada!');
  });

  it('calls plainly outside a trace, and a receiver called without an envelope runs as before', () => {
    const receiver = new Receiver();
    expect(traced(receiver).greet('bob', '?')).toBe('hello bob?');
    expect(receiver.greet('eve')).toBe('hello eve!');
    expect(receiver.seen).toEqual([undefined, undefined]);
  });
});
