// OrdersDO: placeholder, being written.
import { DurableObject } from 'cloudflare:workers';

export class OrdersDO extends DurableObject<CheckoutEnv> {}
