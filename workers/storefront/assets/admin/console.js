// The console's one script (served as a file: the pages' CSP allows script-src 'self' only). It refreshes live
// regions: an element with data-live-src is re-fetched every data-live-every seconds and its content replaced by
// the fragment the server renders; a Pause button stops it (WCAG 2.2.2). Without this script the pages work the
// same, with a "Refresh now" link. A session that has ended (401) goes to the sign-in page.
(() => {
  'use strict';
  const regions = document.querySelectorAll('[data-live-src]');
  for (const region of regions) {
    const src = region.getAttribute('data-live-src');
    const every = Math.max(1, Number(region.getAttribute('data-live-every')) || 5) * 1000;
    const status = document.getElementById(region.getAttribute('data-live-status') || '');
    let paused = false;
    let busy = false;
    const say = (text) => {
      if (status) status.textContent = text;
    };
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.textContent = 'Pause live updates';
    toggle.setAttribute('aria-pressed', 'false');
    toggle.id = 'live-toggle';
    toggle.addEventListener('click', () => {
      paused = !paused;
      toggle.textContent = paused ? 'Resume live updates' : 'Pause live updates';
      toggle.setAttribute('aria-pressed', String(paused));
      say(paused ? 'Live updates paused.' : 'Live updates on.');
    });
    if (status?.parentNode) status.parentNode.insertBefore(toggle, status);
    say(`Live: every ${every / 1000} s.`);

    const tick = async () => {
      if (paused || busy || document.hidden) return;
      busy = true;
      try {
        const res = await fetch(src, {
          credentials: 'same-origin',
          headers: { accept: 'text/html' },
          signal: AbortSignal.timeout(Math.max(every * 2, 10000)),
        });
        if (res.status === 401) {
          window.location.assign('/admin/sign-in');
          return;
        }
        if (!res.ok) {
          say(`Live update failed (${res.status}); retrying.`);
          return;
        }
        // Replacing the region would drop the keyboard focus of a reader inside it (on a link, a disclosure):
        // the update waits until they leave it.
        if (region.contains(document.activeElement)) {
          say('Live update held while the focus is in the figures.');
          return;
        }
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        const open = new Set(
          Array.from(region.querySelectorAll('details[open] > summary'), (s) => s.textContent),
        );
        region.replaceChildren(...doc.body.childNodes);
        // Keep the data tables a reader opened open across updates.
        for (const summary of region.querySelectorAll('details > summary')) {
          if (open.has(summary.textContent)) summary.parentElement.open = true;
        }
        say(`Live: updated ${new Date().toLocaleTimeString()}.`);
      } catch (err) {
        say(`Live update failed (${err && err.name === 'TimeoutError' ? 'timeout' : 'network'}); retrying.`);
      } finally {
        busy = false;
      }
    };
    setInterval(tick, every);
  }
})();
