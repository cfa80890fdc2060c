/* Controls shown before their scripts are wired (rendering handlers=delayed; reference G, "a click can be
 * lost"). Lightning and Visualforce show a page's controls before its scripts have attached their
 * handlers; a click in that window does nothing. Here, for data-unwired-ms after the document has been
 * parsed, a capture-phase listener on window (registered before any of the page's own) swallows real
 * clicks on buttons, links, checkboxes, radios, switches, menu items and labels: the page's handlers never
 * see them and the browser's default action (following a link, submitting a form, toggling a box) is
 * cancelled. After that window everything works. Clicks made by the page's own scripts are left alone. */
(function () {
  'use strict';

  var script = document.currentScript;
  var ms = Number(script && script.dataset.unwiredMs) || 0;
  if (ms <= 0) return;
  var CONTROLS = 'button, a[href], label, input[type="checkbox"], input[type="radio"], input[type="submit"], '
    + 'input[type="button"], input[type="image"], input[type="reset"], [role="button"], [role="link"], '
    + '[role="checkbox"], [role="radio"], [role="switch"], [role="menuitem"], [role="tab"]';
  var until = Infinity; // the window ends ms after the document is parsed

  function arm() { until = performance.now() + ms; }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', arm);
  else arm();

  window.addEventListener('click', function (event) {
    if (!event.isTrusted || performance.now() >= until) return;
    var target = event.target;
    if (!(target instanceof Element) || !target.closest(CONTROLS)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);
})();
