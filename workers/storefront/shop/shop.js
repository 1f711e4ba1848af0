// The storefront's one script (a file with a content-hashed name: the pages' CSP allows script-src 'self' only).
// It only enhances: every page works the same without it. A variant picker (a GET form, data-autosubmit) shows
// the chosen variant as soon as an option changes; its "Show" button is then hidden and a hint, shown before the
// options, says that choosing one loads it (WCAG 3.2.2: a change of context on input is announced beforehand).
(() => {
  for (const form of document.querySelectorAll('form[data-autosubmit]')) {
    for (const button of form.querySelectorAll('[data-autosubmit-button]')) button.hidden = true;
    for (const hint of form.querySelectorAll('[data-autosubmit-hint]')) hint.hidden = false;
    form.addEventListener('change', () => form.requestSubmit());
  }
})();
