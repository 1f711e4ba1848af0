// DeadLetterDO: placeholder, being written.
import { DurableObject } from 'cloudflare:workers';

export class DeadLetterDO extends DurableObject<CheckoutEnv> {}
