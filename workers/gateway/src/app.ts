// The gateway app: middleware shared by every route, then one router per resource. The OpenAPI document
// is generated from the same zod schemas that validate requests.
import { authenticate } from './auth/authenticate';
import { consoleRoutes } from './console/console.routes';
import { corsAllowList, securityHeaders } from './middleware/edge-headers';
import { notFound, onError } from './middleware/errors';
import { readAfter, readAfterPages } from './middleware/read-after';
import { readRegion } from './middleware/read-region';
import { requestContext } from './middleware/request-context';
import { edgeLimits } from './rate-limit/edge';
import { rateLimit } from './rate-limit/middleware';
import { adminArchiveRoutes } from './routes/admin.archive.routes';
import { adminAuditRoutes } from './routes/admin.audit.routes';
import { adminCatalogRoutes } from './routes/admin.catalog.routes';
import { adminDurableRoutes } from './routes/admin.durable.routes';
import { adminOrderRoutes } from './routes/admin.orders.routes';
import { adminRoutes } from './routes/admin.routes';
import { adminWebhookRoutes } from './routes/admin.webhooks.routes';
import { authRoutes, jwksRoute } from './routes/auth.routes';
import { cartRoutes } from './routes/cart.routes';
import { catalogRoutes } from './routes/catalog.routes';
import { checkoutRoutes, orderRoutes } from './routes/checkout.routes';
import { docsRoutes } from './routes/docs.routes';
import { healthRoutes } from './routes/health.routes';
import { imageRoutes } from './routes/images.routes';
import { inventoryRoutes } from './routes/inventory.routes';
import { meRoutes } from './routes/me.routes';
import { serveApiDocument } from './routes/openapi';
import { opsAlertsRoutes } from './routes/ops.alerts.routes';
import { opsFiguresRoutes } from './routes/ops.figures.routes';
import { opsSignalsRoutes } from './routes/ops.signals.routes';
import { router } from './routes/router';
import { webhookRoutes } from './routes/webhooks.routes';
import { shopRoutes } from './shop/routes';

export const app = router();

app.use('*', requestContext());
app.use('*', readRegion());
app.use('*', readAfterPages());
app.use('*', securityHeaders());
app.use('*', corsAllowList());
// The edge tier (overload shedding, the per-address count) comes before token verification, so a junk bearer is
// limited like any request; the per-subject limits need the verified identity, so they come after. A read-after
// token is honoured only for the subject that wrote (middleware/read-after.ts): after authentication too.
app.use('/v1/*', edgeLimits(), authenticate(), rateLimit(), readAfter());
app.use('/.well-known/*', edgeLimits(), rateLimit());
// Images: the edge tier only (per-address counts, overload shedding); a page shows many, and they never change.
app.use('/images/*', edgeLimits({ countAddress: true }));
// Readiness: counted per address at the edge like the other public routes (a flood of it from one address is
// refused before it reaches the report); liveness (/health/live) stays free, it calls nothing.
app.use('/health', edgeLimits({ countAddress: true }));
app.onError(onError);
app.notFound(notFound);

app.route('/health', healthRoutes);
app.route('/v1/auth', authRoutes);
app.route('/v1/me', meRoutes);
app.route('/.well-known/jwks.json', jwksRoute);
app.route('/v1', catalogRoutes);
app.route('/v1/admin/ops', opsFiguresRoutes);
app.route('/v1/admin/ops', opsSignalsRoutes);
app.route('/v1/admin/ops', opsAlertsRoutes);
app.route('/v1/admin', adminRoutes);
app.route('/v1/admin', adminOrderRoutes);
app.route('/v1/admin', adminAuditRoutes);
app.route('/v1/admin', adminCatalogRoutes);
app.route('/v1/admin', adminWebhookRoutes);
app.route('/v1/admin', adminArchiveRoutes);
app.route('/v1/cart', cartRoutes);
app.route('/v1/checkout', checkoutRoutes);
app.route('/v1/orders', orderRoutes);
app.route('/v1/inventory', inventoryRoutes);
app.route('/v1/webhooks', webhookRoutes);
// Last of the API routes: the Durable Objects' ops routes (admin role), under /v1/admin.
app.route('/v1/admin', adminDurableRoutes);
app.route('/docs', docsRoutes);
app.route('/images', imageRoutes);
// The web console: pages that call this same app in-process (console/session.ts), so the API's middleware above
// (limits, authentication, roles) applies to every call they make. Not under /v1: its sessions are cookies.
app.route('/admin', consoleRoutes((request, env, ctx) => app.fetch(request, env, ctx)) as never);
// The storefront's pages, at the root (shop/paths.ts): clients of this same app in-process, like the console, with
// the shopper's session in cookies (shop/session.ts).
app.route('/', shopRoutes((request, env, ctx) => app.fetch(request, env, ctx)) as never);

serveApiDocument(app);
