// The gateway worker entry: the only public worker.
import { app } from './app';

export { RateLimiterDO } from '../../../durable-objects/rate-limiter/rate-limiter.do';

export default app satisfies ExportedHandler<GatewayEnv>;
