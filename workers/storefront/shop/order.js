// Follows a pending order on its page (/orders/:id; served as a file: the shop's CSP allows script-src 'self'
// only). The status region names its own source (data-poll): it is fetched alone every data-poll-seconds and
// swapped in, until the status settles (the new region names no source) or ten minutes pass. Without this script
// the page's <noscript> refresh and its "Check again" link do the same.
(() => {
  const LIMIT_MS = 10 * 60 * 1000;
  const started = Date.now();
  const schedule = () => {
    const region = document.getElementById('order-status-region');
    const src = region?.getAttribute('data-poll');
    if (!region || !src || Date.now() - started > LIMIT_MS) return;
    const every = Math.max(1, Number(region.getAttribute('data-poll-seconds')) || 2) * 1000;
    setTimeout(async () => {
      try {
        const res = await fetch(src, {
          credentials: 'same-origin',
          headers: { accept: 'text/html' },
          signal: AbortSignal.timeout(10000),
        });
        if (res.ok) {
          const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
          const next = doc.getElementById('order-status-region');
          if (next) region.replaceWith(document.importNode(next, true));
        }
      } catch {
        // No answer this time: the next tick asks again.
      }
      schedule();
    }, every);
  };
  schedule();
})();
