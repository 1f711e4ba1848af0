// GET /docs: a small self-contained reader for /v1/openapi.json (no third-party scripts or CDNs).
import { Hono } from 'hono';
import type { GatewayApp } from '../types';
import { docsPage, docsScript } from './docs.page';

export const docsRoutes = new Hono<GatewayApp>()
  .get('/', (c) => {
    return c.html(docsPage);
  })
  .get('/docs.js', (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'public, max-age=300');
    return c.body(docsScript);
  });
