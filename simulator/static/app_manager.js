/* Lightning Experience App Manager: the app list arrives after the page, from a JSON request
 * (Salesforce fetches it with an Aura action; the endpoint here is our own). Each row ends with one
 * button that opens a menu of actions; Delete asks for confirmation in a modal. */
(function () {
  'use strict';

  var card = document.querySelector('.app-manager-list');
  if (!card) return;
  var openMenu = null; // { trigger, menu }
  var lastFocus = null;

  document.querySelectorAll('.slds-page-header__col-actions button').forEach(function (button) {
    button.addEventListener('click', function () {
      if (button.dataset.href) window.location.assign(button.dataset.href);
      else if (button.dataset.action === 'builder') showBuilderNotice(button);
    });
  });

  var el = window.setupUi.el;

  function spinner() {
    var container = el('div', 'slds-spinner_container');
    container.setAttribute('role', 'status');
    container.setAttribute('aria-busy', 'true');
    var spin = el('div', 'slds-spinner slds-spinner_medium');
    spin.appendChild(el('span', 'slds-assistive-text', 'Loading'));
    container.appendChild(spin);
    return container;
  }

  var toast = window.setupUi.toast;

  // --- the list -----------------------------------------------------------------------------------
  var COLUMNS = ['App Name', 'Developer Name', 'Description', 'Last Modified Date', 'App Type',
    'Visible in Lightning Experience'];

  function load() {
    closeMenu(false);
    if (!card.querySelector('.slds-spinner_container')) card.appendChild(spinner());
    fetch(card.dataset.source, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (data) { render(data.apps || []); })
      .catch(function () {
        var old = card.querySelector('.slds-spinner_container');
        if (old) old.remove();
        toast('The app list could not be loaded. Reload the page to try again.', true);
      });
  }

  function render(apps) {
    var old = card.querySelector('table');
    if (old) old.remove();
    var table = el('table', 'slds-table slds-table_bordered slds-table_cell-buffer');
    table.setAttribute('aria-label', 'Lightning Experience App Manager');
    var thead = el('thead');
    var headRow = el('tr', 'slds-line-height_reset');
    COLUMNS.forEach(function (label) {
      var th = el('th', '', label);
      th.setAttribute('scope', 'col');
      headRow.appendChild(th);
    });
    var actionsHead = el('th');
    actionsHead.setAttribute('scope', 'col');
    actionsHead.appendChild(el('span', 'slds-assistive-text', 'Actions'));
    headRow.appendChild(actionsHead);
    thead.appendChild(headRow);
    table.appendChild(thead);
    var tbody = el('tbody');
    apps.forEach(function (app) { tbody.appendChild(row(app)); });
    table.appendChild(tbody);
    var spin = card.querySelector('.slds-spinner_container');
    if (spin) spin.remove();
    card.appendChild(table);
    card.querySelector('.slds-page-header__meta-text').textContent =
      apps.length + (apps.length === 1 ? ' item' : ' items') + ' \u2022 Sorted by App Name';
  }

  function row(app) {
    var tr = el('tr', 'slds-hint-parent');
    var name = el('th');
    name.setAttribute('scope', 'row');
    var nameText = el('div', 'slds-truncate', app.name);
    nameText.title = app.name;
    name.appendChild(nameText);
    tr.appendChild(name);
    [app.developerName, app.description, app.lastModified, app.appType].forEach(function (value) {
      var td = el('td');
      var div = el('div', 'slds-truncate', value || '');
      if (value) div.title = value;
      td.appendChild(div);
      tr.appendChild(td);
    });
    var visible = el('td');
    if (app.visibleInLightning) {
      var icon = el('span', 'slds-icon_container', '\u2713');
      icon.title = 'True';
      icon.setAttribute('role', 'img');
      icon.setAttribute('aria-label', 'True');
      visible.appendChild(icon);
    }
    tr.appendChild(visible);
    var actions = el('td');
    var trigger = el('div', 'slds-dropdown-trigger slds-dropdown-trigger_click');
    var button = el('button', 'slds-button slds-button_icon slds-button_icon-border-filled slds-button_icon-x-small');
    button.type = 'button';
    button.setAttribute('aria-haspopup', 'true');
    button.setAttribute('aria-expanded', 'false');
    button.title = 'Show actions';
    var arrow = el('span', '', '\u25BE');
    arrow.setAttribute('aria-hidden', 'true');
    button.appendChild(arrow);
    button.appendChild(el('span', 'slds-assistive-text', 'Show actions for ' + app.name));
    button.addEventListener('click', function (event) {
      event.stopPropagation();
      if (openMenu && openMenu.trigger === trigger) closeMenu(true);
      else showMenu(trigger, button, app);
    });
    trigger.appendChild(button);
    actions.appendChild(trigger);
    tr.appendChild(actions);
    return tr;
  }

  // --- the row menu -------------------------------------------------------------------------------
  function showMenu(trigger, button, app) {
    closeMenu(false);
    var dropdown = el('div', 'slds-dropdown slds-dropdown_right slds-dropdown_actions');
    var list = el('ul', 'slds-dropdown__list');
    list.setAttribute('role', 'menu');
    list.setAttribute('aria-label', 'Show actions for ' + app.name);
    app.actions.forEach(function (action) {
      var li = el('li', 'slds-dropdown__item');
      li.setAttribute('role', 'presentation');
      var link = el('a', '');
      link.setAttribute('role', 'menuitem');
      link.setAttribute('tabindex', '-1');
      link.href = action.href || '#';
      link.appendChild(el('span', 'slds-truncate', action.label));
      link.addEventListener('click', function (event) {
        if (action.href) { closeMenu(false); return; }
        event.preventDefault();
        closeMenu(false);
        if (action.action === 'delete') confirmDelete(app, button);
        else showBuilderNotice(button);
      });
      li.appendChild(link);
      list.appendChild(li);
    });
    dropdown.appendChild(list);
    trigger.classList.add('slds-is-open');
    trigger.appendChild(dropdown);
    button.setAttribute('aria-expanded', 'true');
    openMenu = { trigger: trigger, button: button, menu: dropdown };
    var first = dropdown.querySelector('[role="menuitem"]');
    if (first) first.focus();
  }

  function closeMenu(returnFocus) {
    if (!openMenu) return;
    openMenu.menu.remove();
    openMenu.trigger.classList.remove('slds-is-open');
    openMenu.button.setAttribute('aria-expanded', 'false');
    if (returnFocus) openMenu.button.focus();
    openMenu = null;
  }

  document.addEventListener('click', function (event) {
    if (openMenu && !openMenu.trigger.contains(event.target)) closeMenu(false);
  });

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      if (document.querySelector('.slds-modal')) { closeModal(); return; }
      if (openMenu) { event.preventDefault(); closeMenu(true); }
      return;
    }
    if (!openMenu || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp')) return;
    var items = Array.prototype.slice.call(openMenu.menu.querySelectorAll('[role="menuitem"]'));
    var index = items.indexOf(document.activeElement);
    var next = event.key === 'ArrowDown' ? index + 1 : index - 1;
    items[(next + items.length) % items.length].focus();
    event.preventDefault();
  });

  // --- modals -------------------------------------------------------------------------------------
  function modal(heading, body, buttons) {
    closeModal();
    lastFocus = document.activeElement;
    var section = el('section', 'slds-modal slds-fade-in-open');
    section.setAttribute('role', 'dialog');
    section.setAttribute('tabindex', '-1');
    section.setAttribute('aria-modal', 'true');
    section.setAttribute('aria-labelledby', 'modal-heading-01');
    section.setAttribute('aria-describedby', 'modal-content-id-1');
    var container = el('div', 'slds-modal__container');
    var header = el('div', 'slds-modal__header');
    var h2 = el('h2', 'slds-modal__title slds-hyphenate', heading);
    h2.id = 'modal-heading-01';
    header.appendChild(h2);
    var content = el('div', 'slds-modal__content slds-p-around_medium');
    content.id = 'modal-content-id-1';
    content.appendChild(el('p', '', body));
    var footer = el('div', 'slds-modal__footer');
    buttons.forEach(function (spec) {
      var b = el('button', 'slds-button ' + (spec.className || 'slds-button_neutral'), spec.label);
      b.type = 'button';
      b.addEventListener('click', function () { spec.onClick(b); });
      footer.appendChild(b);
    });
    container.appendChild(header);
    container.appendChild(content);
    container.appendChild(footer);
    section.appendChild(container);
    document.body.appendChild(section);
    var backdrop = el('div', 'slds-backdrop slds-backdrop_open');
    document.body.appendChild(backdrop);
    footer.querySelector('button').focus();
  }

  function closeModal() {
    document.querySelectorAll('.slds-modal, .slds-backdrop').forEach(function (n) { n.remove(); });
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
    lastFocus = null;
  }

  function showBuilderNotice() {
    modal('Lightning App Builder',
      'The Lightning App Builder is not part of this simulated org.',
      [{ label: 'Close', onClick: closeModal }]);
  }

  function confirmDelete(app) {
    var what = app.appType === 'Connected' ? 'Connected App' : 'App';
    modal('Delete ' + what,
      'Deleting "' + app.name + '" removes it from this org, and users can no longer use it. You can\'t undo this.',
      [
        { label: 'Cancel', onClick: closeModal },
        { label: 'Delete', className: 'slds-button_destructive', onClick: function (b) { doDelete(app, b); } },
      ]);
  }

  function doDelete(app, button) {
    button.disabled = true;
    var body = new URLSearchParams();
    body.set('id', app.id);
    body.set('_CONFIRMATIONTOKEN', card.dataset.token);
    fetch(card.dataset.delete, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: body.toString(),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        closeModal();
        if (result.ok) {
          toast('"' + app.name + '" was deleted.', false);
          load();
        } else {
          toast(result.data.error || 'The app could not be deleted.', true);
        }
      })
      .catch(function () {
        closeModal();
        toast('The app could not be deleted.', true);
      });
  }

  load();
})();
