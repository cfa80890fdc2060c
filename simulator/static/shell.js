/* Small DOM helpers the Lightning pages' own scripts share (App Manager, External Client App Settings). */
window.setupUi = (function () {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function toast(message, isError) {
    document.querySelectorAll('.slds-notify_toast').forEach(function (t) { t.remove(); });
    var box = el('div', 'slds-notify slds-notify_toast' + (isError ? ' slds-theme_error' : ' slds-theme_success'));
    box.setAttribute('role', isError ? 'alert' : 'status');
    box.appendChild(el('h2', 'slds-text-heading_small', message));
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 8000);
  }

  return { el: el, toast: toast };
})();

/* The Lightning Setup shell: ambient banner, Quick Find, late rendering, and the classic-page iframes.
 *
 * Like Lightning, the shell frames a classic page in an iframe named vfFrameId_<n> inside
 * force-aloha-page, which lives in a shadow root. When the classic page asks to navigate
 * (srcUp / navigateToUrl post a message), the shell keeps the old frame hidden with
 * tabindex="-1" and opens the new page in a new frame with tabindex="0". The frame's title is
 * "<document title> ~ Salesforce - <edition>" once its document has loaded. */
(function () {
  'use strict';

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[title="Close banner"]');
    if (!button) return;
    var banner = button.closest('.slds-notify_alert');
    if (banner) banner.remove();
    fetch('/__sim__/banner/dismiss', { method: 'POST', credentials: 'same-origin' });
  });

  var quickFind = document.querySelector('.setup-nav input[placeholder="Quick Find"]');
  if (quickFind) {
    quickFind.addEventListener('input', function () {
      var q = quickFind.value.trim().toLowerCase();
      // Like Setup's Quick Find: a match on a group's name shows the whole group ("External Client Apps"
      // then "Settings"); a group with nothing left to show is hidden.
      document.querySelectorAll('.setup-nav [role="tree"] > li').forEach(function (group) {
        var title = group.querySelector('.tree-section');
        var groupMatches = q !== '' && !!title && title.textContent.toLowerCase().indexOf(q) !== -1;
        var shown = 0;
        group.querySelectorAll('li[data-label]').forEach(function (li) {
          li.hidden = q !== '' && !groupMatches && li.dataset.label.indexOf(q) === -1;
          if (!li.hidden) shown += 1;
        });
        group.hidden = shown === 0;
      });
    });
  }

  // Late rendering (latency knob): the page's content appears after the shell, as Lightning's does.
  var content = document.querySelector('.setupcontent[data-render-delay]');
  if (content) {
    setTimeout(function () {
      var spinner = content.querySelector(':scope > .slds-spinner_container');
      if (spinner) spinner.remove();
      var body = content.querySelector(':scope > .slds-template__container');
      if (body) body.hidden = false;
      content.setAttribute('aria-busy', 'false');
    }, Number(content.dataset.renderDelay) || 0);
  }

  var host = document.querySelector('.oneAlohaPage[data-src]');
  if (!host) return;
  var edition = host.dataset.edition || 'Developer Edition';
  // Split hosts: frames come from the Visualforce host, another site; single: this origin.
  var frameOrigin = host.dataset.frameOrigin || location.origin;
  var root = host.attachShadow({ mode: 'open' });
  root.appendChild(document.createElement('slot')); // keeps the light-DOM spinner visible
  var style = document.createElement('style'); // page styles do not reach into a shadow root
  style.textContent = 'force-aloha-page { display: block; } iframe { width: 100%; height: 900px; border: 0; background: #fff; }';
  root.appendChild(style);
  var aloha = document.createElement('force-aloha-page');
  root.appendChild(aloha);
  var frames = [];
  var seq = 0;

  function showSpinner() {
    if (host.querySelector('.slds-spinner_container')) return;
    var spinner = document.createElement('div');
    spinner.className = 'slds-spinner_container';
    spinner.setAttribute('role', 'status');
    spinner.setAttribute('aria-busy', 'true');
    spinner.innerHTML = '<div class="slds-spinner slds-spinner_medium"><span class="slds-assistive-text">Loading</span></div>';
    host.appendChild(spinner);
  }

  function hideSpinner() {
    var spinner = host.querySelector('.slds-spinner_container');
    if (spinner) spinner.remove();
  }

  function withIsdtp(url) {
    if (/[?&]isdtp=p1(&|$)/.test(url)) return url;
    return url + (url.indexOf('?') === -1 ? '?' : '&') + 'isdtp=p1';
  }

  function withoutIsdtp(url) {
    return url.replace(/([?&])isdtp=p1(&|$)/, function (m, lead, tail) { return tail ? lead : ''; });
  }

  function openFrame(src) {
    showSpinner();
    var previous = frames[frames.length - 1];
    if (previous) {
      previous.setAttribute('tabindex', '-1');
      previous.setAttribute('aria-hidden', 'true');
      previous.style.display = 'none';
    }
    seq += 1;
    var frame = document.createElement('iframe');
    frame.name = 'vfFrameId_' + Date.now() + seq;
    frame.setAttribute('tabindex', '0');
    frame.setAttribute('frameborder', '0');
    frame.className = 'vfFrame';
    frame.addEventListener('load', function () {
      var docTitle = '';
      try { docTitle = frame.contentDocument.title; } catch (e) { docTitle = ''; }
      if (docTitle) frame.title = docTitle + ' ~ Salesforce - ' + edition;
      if (frame === frames[frames.length - 1]) hideSpinner();
    });
    frame.src = src;
    aloha.appendChild(frame);
    frames.push(frame);
    // Lightning caches a few earlier pages; older ones are dropped.
    while (frames.length > 3) frames.shift().remove();
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== frameOrigin && event.origin !== location.origin) return;
    var data = event.data || {};
    if (data.type === 'sfdc:title' && typeof data.title === 'string') {
      // A cross-site frame's document cannot be read: the classic page tells its title itself.
      frames.forEach(function (frame) {
        if (frame.contentWindow === event.source && data.title) frame.title = data.title + ' ~ Salesforce - ' + edition;
      });
      return;
    }
    if (data.type !== 'sfdc:navigate' || typeof data.url !== 'string' || !/^\/(?![\/\\])/.test(data.url)) return;
    if (data.url.indexOf('/lightning/') === 0) { location.assign(data.url); return; }
    var node = data.node || host.dataset.node;
    var address = withoutIsdtp(data.url);
    history.pushState({}, '', '/lightning/setup/' + node + '/page?address=' + encodeURIComponent(address));
    openFrame(frameOrigin + withIsdtp(data.url));
  });

  openFrame(host.dataset.src);
})();
