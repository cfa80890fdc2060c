/* Permission Set Assignments: the Add Assignment wizard.
 *
 * Step 1 lists the org's users (fetched when the step opens) with one checkbox per row; Next is enabled
 * once a user is ticked. Where that list is shown depends on the rendering: a section replacing the
 * assignments on the page (assign_users=page) or a modal dialog (assign_users=modal). Step 2, "Select an
 * Expiration Option For Assigned Users", and step 3, the "Assignment Summary", are always a modal
 * dialog. Assign posts the choice with the page's CSRF token; Done closes the dialog and reloads the
 * list. The checkboxes are SLDS (1 px clipped input, the label's faux box takes the click) or plain. */
(function () {
  'use strict';

  var el = window.setupUi.el;
  var config = JSON.parse(document.querySelector('script.permset-assign-config').textContent);
  var usersOnPage = config.assignUsers === 'page';
  var slds = config.inputs === 'slds';
  var opener = document.querySelector('.slds-page-header__col-actions [data-action="add"]');
  var headerActions = opener.parentElement;
  var assignmentsView = document.querySelector('[data-view="assignments"]');
  var usersView = document.querySelector('[data-view="users"]'); // assign_users=page only
  var dialog = document.querySelector('section.slds-modal[role="dialog"]');
  var usersHost = usersOnPage ? usersView : dialog; // holds the user list, its Next button and its errors
  var heading = dialog.querySelector('.slds-modal__title');
  var usersStep = usersHost.querySelector('[data-step="users"]');
  var usersBody = usersStep.querySelector('tbody');
  var spinner = usersStep.querySelector('.slds-spinner_container');
  var summaryBody = dialog.querySelector('[data-step="summary"] tbody');
  var customDate = dialog.querySelector('[data-step="expiration"] input[type="date"]');
  var timeZone = dialog.querySelector('[data-step="expiration"] select');
  var HEADINGS = {
    users: 'Select Users to Assign',
    expiration: 'Select an Expiration Option For Assigned Users',
    summary: 'Assignment Summary'
  };
  var step = null;
  var busy = false;

  function inDialog(action) { return dialog.querySelector('[data-action="' + action + '"]'); }
  function nextButton() { return usersHost.querySelector('[data-action="next"]'); }

  function showError(message) {
    var host = step === 'users' ? usersHost : dialog;
    var box = host.querySelector('[data-role="error"]');
    box.textContent = message || '';
    box.hidden = !message;
  }

  function clearErrors() {
    document.querySelectorAll('[data-role="error"]').forEach(function (box) {
      box.textContent = '';
      box.hidden = true;
    });
  }

  function selectedIds() {
    return Array.prototype.map.call(usersBody.querySelectorAll('input[type="checkbox"]:checked'), function (box) {
      return box.value;
    });
  }

  function refreshNext() { nextButton().disabled = busy || selectedIds().length === 0; }

  function show(name) {
    step = name;
    clearErrors();
    if (name === 'users' && usersOnPage) {
      dialog.hidden = true;
      assignmentsView.hidden = true;
      headerActions.hidden = true;
      usersView.hidden = false;
    } else {
      heading.textContent = HEADINGS[name];
      dialog.querySelectorAll('[data-step]').forEach(function (node) { node.hidden = node.dataset.step !== name; });
      dialog.querySelectorAll('.slds-modal__footer [data-for]').forEach(function (node) {
        node.hidden = node.dataset.for !== name;
      });
      dialog.hidden = false;
    }
    refreshNext();
  }

  function cell(tag, text) {
    var node = el(tag, '', text);
    if (tag === 'th') node.setAttribute('scope', 'row');
    return node;
  }

  function checkbox(user, index) {
    var box = el('input');
    box.type = 'checkbox';
    box.id = 'checkbox-' + (index + 1);
    box.value = user.id;
    box.addEventListener('change', refreshNext);
    var name = 'Select ' + user.fullName;
    if (!slds) {
      var hidden = el('label', 'slds-assistive-text', name);
      hidden.htmlFor = box.id;
      return [box, hidden];
    }
    var wrap = el('div', 'slds-checkbox');
    var label = el('label', 'slds-checkbox__label');
    label.htmlFor = box.id;
    label.appendChild(el('span', 'slds-checkbox_faux'));
    label.appendChild(el('span', 'slds-form-element__label slds-assistive-text', name));
    wrap.appendChild(box);
    wrap.appendChild(label);
    return [wrap];
  }

  function renderUsers(users) {
    usersBody.textContent = '';
    users.forEach(function (user, index) {
      var row = el('tr');
      var pick = el('td');
      checkbox(user, index).forEach(function (node) { pick.appendChild(node); });
      row.appendChild(pick);
      row.appendChild(cell('th', user.fullName));
      row.appendChild(cell('td', user.username));
      row.appendChild(cell('td', user.profile));
      var active = el('td');
      active.innerHTML = user.active
        ? '<span class="slds-icon_container" title="True"><span class="slds-assistive-text">True</span>&#10003;</span>'
        : '<span class="slds-assistive-text">False</span>';
      row.appendChild(active);
      usersBody.appendChild(row);
    });
  }

  function loadUsers() {
    busy = true;
    spinner.hidden = false;
    usersBody.textContent = '';
    refreshNext();
    return fetch(config.usersUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('The user list could not be loaded.');
        return response.json();
      })
      .then(function (data) { renderUsers(data.users); })
      .catch(function (err) { showError(err.message); })
      .finally(function () {
        busy = false;
        spinner.hidden = true;
        refreshNext();
      });
  }

  function open() {
    show('users');
    loadUsers();
  }

  function close() {
    dialog.hidden = true;
    if (usersOnPage) {
      usersView.hidden = true;
      assignmentsView.hidden = false;
      headerActions.hidden = false;
    }
    step = null;
    opener.focus();
  }

  // Closing the expiration dialog goes back to the user list when that list is on the page.
  function dismissDialog() {
    if (usersOnPage && step === 'expiration') show('users');
    else close();
  }

  function expirationOption() {
    var checked = dialog.querySelector('input[name="expiration"]:checked');
    return checked ? checked.value : 'none';
  }

  function renderSummary(results) {
    summaryBody.textContent = '';
    results.forEach(function (r) {
      var row = el('tr');
      row.appendChild(cell('th', r.fullName));
      row.appendChild(cell('td', r.username));
      var result = cell('td', r.result);
      result.className = r.success ? 'slds-text-color_success' : 'slds-text-color_error';
      row.appendChild(result);
      summaryBody.appendChild(row);
    });
  }

  function assign() {
    var option = expirationOption();
    if (option === 'custom' && !customDate.value) {
      showError('Enter an expiration date.');
      return;
    }
    var assignButton = inDialog('assign');
    assignButton.disabled = true;
    dialog.setAttribute('aria-busy', 'true');
    fetch(config.assignUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': config.token },
      body: JSON.stringify({
        userIds: selectedIds(),
        expiration: option,
        customDate: option === 'custom' ? customDate.value : '',
        timeZone: timeZone.value
      })
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (reply) {
        if (!reply.ok) { showError(reply.data.error || 'The assignment failed.'); return; }
        renderSummary(reply.data.results);
        show('summary');
      })
      .catch(function () { showError('The assignment failed. Try again.'); })
      .finally(function () {
        assignButton.disabled = false;
        dialog.removeAttribute('aria-busy');
      });
  }

  dialog.querySelectorAll('input[name="expiration"]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      customDate.disabled = expirationOption() !== 'custom';
      if (!customDate.disabled) customDate.focus();
    });
  });

  function onAction(event) {
    var target = event.target.closest('[data-action]');
    if (!target || target.disabled) return;
    switch (target.dataset.action) {
      case 'add':
        open();
        break;
      case 'close':
        dismissDialog();
        break;
      case 'cancel':
        close();
        break;
      case 'next':
        show('expiration');
        break;
      case 'back':
        show('users');
        break;
      case 'assign':
        assign();
        break;
      case 'done':
        dialog.hidden = true;
        window.location.reload();
        break;
    }
  }

  opener.addEventListener('click', onAction);
  dialog.addEventListener('click', onAction);
  if (usersView) usersView.addEventListener('click', onAction);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !dialog.hidden && step !== 'summary') dismissDialog();
  });
})();
