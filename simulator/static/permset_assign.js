/* Permission Set Assignments: the Add Assignment wizard.
 *
 * Step 1 lists the org's users (fetched when the dialog opens) with one checkbox per row; Next is
 * enabled once a user is ticked. Step 2 is "Select an Expiration Option For Assigned Users". Assign
 * posts the choice with the page's CSRF token; step 3 is the "Assignment Summary" with one result
 * per user. Done closes the dialog and reloads the assignments list. */
(function () {
  'use strict';

  var config = JSON.parse(document.querySelector('script.permset-assign-config').textContent);
  var opener = document.querySelector('.slds-page-header__col-actions button[aria-haspopup="dialog"]');
  var dialog = document.querySelector('section.slds-modal[role="dialog"]');
  var heading = dialog.querySelector('.slds-modal__title');
  var errorBox = dialog.querySelector('[data-role="error"]');
  var usersBody = dialog.querySelector('[data-step="users"] tbody');
  var summaryBody = dialog.querySelector('[data-step="summary"] tbody');
  var spinner = dialog.querySelector('[data-step="users"] .slds-spinner_container');
  var customDate = dialog.querySelector('[data-step="expiration"] input[type="date"]');
  var timeZone = dialog.querySelector('[data-step="expiration"] select');
  var HEADINGS = {
    users: 'Select Users to Assign',
    expiration: 'Select an Expiration Option For Assigned Users',
    summary: 'Assignment Summary'
  };
  var step = 'users';
  var busy = false;

  function button(action) { return dialog.querySelector('[data-action="' + action + '"]'); }

  function showError(message) {
    errorBox.textContent = message || '';
    errorBox.hidden = !message;
  }

  function selectedIds() {
    return Array.prototype.map.call(usersBody.querySelectorAll('input[type="checkbox"]:checked'), function (box) {
      return box.value;
    });
  }

  function refreshNext() { button('next').disabled = busy || selectedIds().length === 0; }

  function show(name) {
    step = name;
    heading.textContent = HEADINGS[name];
    dialog.querySelectorAll('[data-step]').forEach(function (el) { el.hidden = el.dataset.step !== name; });
    dialog.querySelectorAll('.slds-modal__footer [data-for]').forEach(function (el) { el.hidden = el.dataset.for !== name; });
    showError('');
    refreshNext();
  }

  function cell(tag, text) {
    var el = document.createElement(tag);
    if (tag === 'th') el.setAttribute('scope', 'row');
    el.textContent = text;
    return el;
  }

  function renderUsers(users) {
    usersBody.textContent = '';
    users.forEach(function (user, index) {
      var row = document.createElement('tr');
      var pick = document.createElement('td');
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.id = 'checkbox-' + (index + 1);
      box.value = user.id;
      box.addEventListener('change', refreshNext);
      var label = document.createElement('label');
      label.className = 'slds-checkbox__label';
      label.htmlFor = box.id;
      label.innerHTML = '<span class="slds-checkbox_faux"></span><span class="slds-assistive-text"></span>';
      label.querySelector('.slds-assistive-text').textContent = 'Select ' + user.fullName;
      pick.appendChild(box);
      pick.appendChild(label);
      row.appendChild(pick);
      row.appendChild(cell('th', user.fullName));
      row.appendChild(cell('td', user.username));
      row.appendChild(cell('td', user.profile));
      var active = document.createElement('td');
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
    dialog.hidden = false;
    show('users');
    loadUsers();
  }

  function close() {
    dialog.hidden = true;
    opener.focus();
  }

  function expirationOption() {
    var checked = dialog.querySelector('input[name="expiration"]:checked');
    return checked ? checked.value : 'none';
  }

  function renderSummary(results) {
    summaryBody.textContent = '';
    results.forEach(function (r) {
      var row = document.createElement('tr');
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
    var assignButton = button('assign');
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

  opener.addEventListener('click', open);
  dialog.addEventListener('click', function (event) {
    var target = event.target.closest('[data-action]');
    if (!target || target.disabled) return;
    switch (target.dataset.action) {
      case 'close':
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
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !dialog.hidden && step !== 'summary') close();
  });
})();
