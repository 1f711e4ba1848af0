// InventoryDO: placeholder, being written.
import { DurableObject } from 'cloudflare:workers';

export class InventoryDO extends DurableObject<CheckoutEnv> {}
