// The storefront's one script (a file with a content-hashed name: the pages' CSP allows script-src 'self' only).
// It only enhances: every page works the same without it. A variant picker (a GET form, data-autosubmit) shows
// the variant chosen with a pointer (mouse, touch, pen) at once. With the keyboard, the arrow keys move through a
// group's options, each move a change: those never load a page (WCAG 3.2.2, and no page load per key press); the
// shopper confirms with the form's "Show this variant" button (or Enter), which stays visible. A hint, shown
// before the options, says so.
(() => {
  for (const form of document.querySelectorAll('form[data-autosubmit]')) {
    for (const hint of form.querySelectorAll('[data-autosubmit-hint]')) hint.hidden = false;
    let byPointer = false;
    form.addEventListener('pointerdown', () => {
      byPointer = true;
    });
    form.addEventListener('keydown', () => {
      byPointer = false;
    });
    form.addEventListener('change', () => {
      if (byPointer) form.requestSubmit();
    });
  }
})();
