/* Helpers every classic page has. Inside the Lightning shell a classic page does not navigate
 * itself: it asks the shell (as Salesforce's srcUp/navigateToUrl do), which opens a new frame. */
function isFramed() {
  return window.self !== window.top && /[?&]isdtp=p1(&|$)/.test(window.location.search);
}

// The shell may be on another site than this frame (split hosts: the Visualforce host frames classic
// pages into the Setup host): messages go to the parent's origin, which Chromium tells the frame.
function shellOrigin() {
  var ancestors = window.location.ancestorOrigins;
  return ancestors && ancestors.length ? ancestors[0] : window.location.origin;
}

function navigateToUrl(url, node) {
  if (isFramed()) {
    window.parent.postMessage({ type: 'sfdc:navigate', url: url, node: node || '' }, shellOrigin());
  } else {
    window.location.assign(url.replace(/([?&])isdtp=p1(&|$)/, function (m, lead, tail) { return tail ? lead : ''; }));
  }
}

// Salesforce's list links pass the address URL-encoded: javascript:srcUp('%2F_ui%2F...%26isdtp%3Dp1').
function srcUp(url, node) {
  navigateToUrl(url.charAt(0) === '%' ? decodeURIComponent(url) : url, node);
}

function openPopup(url, name, features) {
  return window.open(url, name, features || 'width=900,height=700,resizable=yes,scrollbars=yes');
}

if (isFramed()) {
  window.addEventListener('load', function () {
    window.parent.postMessage({ type: 'sfdc:title', title: document.title }, shellOrigin());
  });
}
