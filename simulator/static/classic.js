/* Helpers every classic page has. Inside the Lightning shell a classic page does not navigate
 * itself: it asks the shell (as Salesforce's srcUp/navigateToUrl do), which opens a new frame. */
function isFramed() {
  return window.self !== window.top && /[?&]isdtp=p1(&|$)/.test(window.location.search);
}

function navigateToUrl(url, node) {
  if (isFramed()) {
    window.parent.postMessage({ type: 'sfdc:navigate', url: url, node: node || '' }, window.location.origin);
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
