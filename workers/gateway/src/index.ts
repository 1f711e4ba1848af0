// The gateway worker entry: the only public worker.
import { app } from './app';

export default app satisfies ExportedHandler<GatewayEnv>;
