/* Script of the connected app screens.
 *
 * New Connected App form: "Enable OAuth Settings" shows the OAuth block, "Use digital signatures"
 * shows the certificate input, API Name is filled from the name when the name field loses focus
 * (only while API Name is empty), and the scopes dueling list moves options with Add / Remove,
 * keeping the selected values in a hidden field for the POST.
 * Edit Policies: choosing "Admin approved users are pre-authorized" asks for a native confirm();
 * Cancel puts the previous choice back.
 * Consumer Details: the Copy buttons. */
(function () {
  'use strict';

  var DETAILS = 'appsetup:setupForm:details:';
  var OAUTH = DETAILS + 'consumersection:oauthSection:';
  var DUEL = OAUTH + 'scopesSection:scopes:duelingListBox:backingList';

  function byId(id) { return document.getElementById(id); }

  // --- Enable OAuth Settings -------------------------------------------------------------------
  var isOauth = byId(DETAILS + 'consumersection:oauth:isOauth');
  var oauthBlock = byId(DETAILS + 'consumersection:oauthSection');
  if (isOauth && oauthBlock) {
    isOauth.addEventListener('change', function () { oauthBlock.hidden = !isOauth.checked; });
    oauthBlock.hidden = !isOauth.checked;
  }

  // --- Use digital signatures ------------------------------------------------------------------
  var certUsed = byId(OAUTH + 'digitalSignaturesSection:certUsedOption');
  var certFile = byId(OAUTH + 'digitalSignaturesSection:certFileUpload');
  if (certUsed && certFile) {
    var holder = certFile.closest('.certUpload') || certFile;
    var syncCert = function () {
      holder.hidden = !certUsed.checked;
      if (!certUsed.checked) certFile.value = '';
    };
    certUsed.addEventListener('change', syncCert);
    holder.hidden = !certUsed.checked;
  }

  // --- API Name from the name ------------------------------------------------------------------
  // Anything but letters, digits and underscores becomes an underscore; runs of underscores
  // collapse; none at either end; a leading digit gets an "X" in front; at most 40 characters.
  function apiNameFrom(label) {
    var name = label.trim().replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
    if (/^[0-9]/.test(name)) name = 'X' + name;
    return name.slice(0, 40).replace(/_+$/, '');
  }
  var nameInput = byId(DETAILS + 'appsection:nameSection:name');
  var apiInput = byId(DETAILS + 'appsection:developerNameSection:developerName');
  if (nameInput && apiInput) {
    nameInput.addEventListener('blur', function () {
      if (apiInput.value.trim() === '') apiInput.value = apiNameFrom(nameInput.value);
    });
  }

  // --- Scopes dueling list box -----------------------------------------------------------------
  var available = byId(DUEL + '_a');
  var selected = byId(DUEL + '_s');
  var hidden = byId(DUEL + '_hidden');
  if (available && selected && hidden) {
    // Options go back to their original place in the list they return to.
    var order = {};
    var all = Array.prototype.slice.call(available.options).concat(Array.prototype.slice.call(selected.options));
    all.forEach(function (option, i) { order[option.value] = i; });
    var syncHidden = function () {
      hidden.value = Array.prototype.map.call(selected.options, function (o) { return o.value; }).join(',');
    };
    var move = function (from, to, sorted) {
      var picked = Array.prototype.filter.call(from.options, function (o) { return o.selected; });
      picked.forEach(function (option) {
        option.selected = false;
        if (!sorted) { to.appendChild(option); return; }
        var before = Array.prototype.find.call(to.options, function (o) { return order[o.value] > order[option.value]; });
        to.insertBefore(option, before || null);
      });
      syncHidden();
    };
    byId(DUEL + '_add').addEventListener('click', function (event) { event.preventDefault(); move(available, selected, false); });
    byId(DUEL + '_remove').addEventListener('click', function (event) { event.preventDefault(); move(selected, available, true); });
    available.addEventListener('dblclick', function () { move(available, selected, false); });
    selected.addEventListener('dblclick', function () { move(selected, available, true); });
    if (hidden.form) hidden.form.addEventListener('submit', syncHidden);
    syncHidden();
  }

  // --- Edit Policies: Permitted Users ----------------------------------------------------------
  var policy = document.querySelector('select[name="userpolicy"]');
  if (policy) {
    var previous = policy.value;
    policy.addEventListener('change', function () {
      if (policy.value === '1' && previous !== '1') {
        var ok = window.confirm(
          'Enabling this option means only users you pre-authorize, through profiles or permission sets, ' +
          'can use this app. Users who authorized it themselves lose access until you pre-authorize them. ' +
          'Do you want to continue?'
        );
        if (!ok) { policy.value = previous; return; }
      }
      previous = policy.value;
    });
  }
})();

/* Consumer Details: copy a value to the clipboard. */
function copyText(id, button) {
  var text = (document.getElementById(id) || {}).textContent || '';
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text.trim()).then(function () { button.value = 'Copied'; }, function () {});
  }
}
