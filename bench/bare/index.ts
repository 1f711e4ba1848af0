// The baseline for `npm run bench`: a worker that answers a constant, under the same runtime and harness.
export default {
  async fetch(): Promise<Response> {
    return new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
  },
} satisfies ExportedHandler;
