/* Late overlays (rendering overlays=late; reference A.0 and G): on a real org the ambient banner and
 * In-App Guidance prompts arrive a moment after the page, over its controls. Each <template
 * class="lateOverlay"> of the shell is put on the page after its own pseudo-random delay of 0.5-3 s:
 * the banner pinned over the top of the content, the guidance prompt as a modal dialog whose backdrop
 * covers everything. Dismissing the prompt is remembered by the org (until reset), as closing the
 * banner is (shell.js). */
(function () {
  'use strict';

  document.querySelectorAll('template.lateOverlay').forEach(function (template) {
    setTimeout(function () {
      document.body.appendChild(template.content.cloneNode(true));
    }, 500 + Math.random() * 2500);
  });

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('.forceGuidancePrompt button');
    if (!button || button.textContent.trim() !== 'Dismiss') return;
    document.querySelectorAll('.forceGuidancePrompt, .forceGuidanceBackdrop').forEach(function (node) { node.remove(); });
    fetch('/__sim__/guidance/dismiss', { method: 'POST', credentials: 'same-origin' });
  });
})();
