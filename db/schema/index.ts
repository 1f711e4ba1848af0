// The whole database schema, as drizzle sees it. drizzle-kit generates db/migrations from this.

export * from './archive';
export * from './audit';
export * from './catalog';
export * from './identity';
export * from './inventory';
export * from './notifications';
export * from './orders';
