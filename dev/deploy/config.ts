// What `npm run deploy` needs to know about each worker, read from its wrangler.toml with wrangler's own
// parser: its name, the workers it binds to, and the account resources its bindings name.
import path from 'node:path';
import { experimental_readRawConfig } from 'wrangler';

export interface WorkerConfig {
  name: string;
  /** Path of its wrangler.toml relative to the project root, as passed to `wrangler -c`. */
  configPath: string;
  /** Workers this one must find deployed: service bindings and Durable Objects of another script. */
  bindsTo: { binding: string; worker: string }[];
  kvNamespaces: { binding: string; id?: string }[];
  queueProducers: { binding: string; queue: string }[];
  queueConsumers: { queue: string; deadLetterQueue?: string }[];
  r2Buckets: { binding: string; bucket: string }[];
  analyticsDatasets: string[];
  vars: Record<string, unknown>;
  /** Binding kinds present in the config that deploy does not create (they would fail at `wrangler deploy`). */
  unsupported: string[];
}

/** Config keys naming account resources `npm run deploy` does not provision. */
const UNSUPPORTED_KEYS = ['d1_databases', 'hyperdrive', 'vectorize', 'workflows', 'dispatch_namespaces', 'pipelines'];

type Raw = Record<string, any>;
const list = (value: unknown): Raw[] => (Array.isArray(value) ? value : []);

/** The deploy model of one raw (parsed, unvalidated) config. Throws when a field deploy relies on is missing. */
export function toWorkerConfig(configPath: string, raw: Raw): WorkerConfig {
  if (typeof raw.name !== 'string' || !raw.name) throw new Error(`${configPath}: no worker name`);
  const services = list(raw.services).map((s) => ({ binding: String(s.binding), worker: String(s.service) }));
  const remoteObjects = list(raw.durable_objects?.bindings)
    .filter((d) => typeof d.script_name === 'string' && d.script_name !== raw.name)
    .map((d) => ({ binding: String(d.name), worker: String(d.script_name) }));
  return {
    name: raw.name,
    configPath,
    bindsTo: [...services, ...remoteObjects],
    kvNamespaces: list(raw.kv_namespaces).map((k) => ({
      binding: String(k.binding),
      ...(typeof k.id === 'string' && k.id ? { id: k.id } : {}),
    })),
    queueProducers: list(raw.queues?.producers).map((p) => ({ binding: String(p.binding), queue: String(p.queue) })),
    queueConsumers: list(raw.queues?.consumers).map((c) => ({
      queue: String(c.queue),
      ...(c.dead_letter_queue ? { deadLetterQueue: String(c.dead_letter_queue) } : {}),
    })),
    r2Buckets: list(raw.r2_buckets).map((b) => ({ binding: String(b.binding), bucket: String(b.bucket_name) })),
    analyticsDatasets: list(raw.analytics_engine_datasets).map((a) => String(a.dataset ?? a.binding)),
    vars: (raw.vars ?? {}) as Record<string, unknown>,
    unsupported: UNSUPPORTED_KEYS.filter((key) => list(raw[key]).length > 0),
  };
}

/** Reads each config (paths relative to `root`) with wrangler's parser. */
export function readWorkerConfigs(root: string, configPaths: string[]): WorkerConfig[] {
  return configPaths.map((configPath) => {
    const { rawConfig } = experimental_readRawConfig({ config: path.join(root, configPath) });
    return toWorkerConfig(configPath, rawConfig as Raw);
  });
}
