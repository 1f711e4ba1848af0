// dev/stripe-local/brownout.ts — the local Stripe's brownout switch, as when its process is stopped (SIGSTOP) and
// continued: while hung, API requests are taken in and left unanswered and webhooks wait; on resume every parked
// request runs in arrival order (also those whose client gave up: their answers go nowhere, their effects stay).

export function createBrownout(o: { pause(): void; resume(): void; log(line: string): void }) {
  /** Set while hung: parked API requests wait for it. */
  let hung: { done: Promise<void>; release: () => void } | null = null;
  return {
    isHung: () => hung !== null,
    hang(): void {
      if (hung) return;
      let release = () => {};
      const done = new Promise<void>((r) => {
        release = r;
      });
      hung = { done, release };
      o.pause();
      o.log('hung: requests park, webhooks wait');
    },
    resume(): void {
      if (!hung) return;
      const { release } = hung;
      hung = null;
      release();
      o.resume();
      o.log('resumed');
    },
    /** Parks the caller while hung. Waiters of one hang are released in arrival order, even if another follows. */
    async pass(): Promise<void> {
      while (hung) await hung.done;
    },
  };
}
