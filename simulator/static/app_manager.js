/* Lightning Experience App Manager: the app list arrives after the page, from a JSON request
 * (Salesforce fetches it with an Aura action; the endpoint here is our own). Each row ends with one
 * control that opens a menu of actions; Delete asks for confirmation in a modal.
 *
 * Two renderings of the list (data-list), as reference section G leaves both open:
 * - "datatable": lightning-datatable's markup. <table role="grid">, header cells <th scope="col"> with
 *   aria-label, the App Name a <th scope="row"> (rowheader), the other cells <td role="gridcell">, and a
 *   lightning-button-menu whose button is named "Show actions" (not per row). Its menu exists only while
 *   open, and the row's actions load into it behind a spinner first (dynamic row actions). While rows
 *   load, a row holding the datatable's loading indicator sits at the end of the body.
 * - "table": the older Aura list. A plain table (table / cell roles), an anchor with role="button" as
 *   the row trigger, and one action menu appended at the end of <body>, positioned at the trigger and
 *   hidden (not removed) when it closes.
 * Rows (data-rows): "all" at once, or "lazy": the first data-batch rows, then the next ones each time the
 * list's scroll region is scrolled to its end (lightning-datatable's enable-infinite-loading). */
(function () {
  'use strict';

  var card = document.querySelector('.app-manager-list');
  if (!card) return;
  var el = window.setupUi.el;
  var toast = window.setupUi.toast;
  var DATATABLE = card.dataset.list !== 'table';
  var LAZY = card.dataset.rows !== 'all';
  var BATCH = Number(card.dataset.batch) || 8;
  var LOAD_MORE_OFFSET = 20; // px from the end of the scroll region, as lightning-datatable's default
  var COLUMNS = ['App Name', 'Developer Name', 'Description', 'Last Modified Date', 'App Type',
    'Visible in Lightning Experience'];
  var ICON_COLOURS = ['#0d9dda', '#3ba755', '#f88962', '#7f8de1', '#e3066a', '#06a59a'];

  var openMenu = null; // { button, menu, app }
  var sharedMenu = null; // the Aura list's one menu, appended to <body>
  var lastFocus = null;
  var openModal = null; // this page's own modal: { section, backdrop } (never the shell's overlays)
  var list = null; // { scroller, table, tbody, loaded, total, loading, generation }
  var generation = 0;

  // --- header buttons and the New Connected App chooser ----------------------------------------------
  document.querySelectorAll('.slds-page-header__col-actions button').forEach(function (button) {
    button.addEventListener('click', function () {
      if (button.dataset.chooser) showChooser(button);
      else if (button.dataset.href) window.location.assign(button.dataset.href);
      else if (button.dataset.action === 'builder') showBuilderNotice(button);
    });
  });

  var radioSeq = 0;

  function radio(value, label, help, checked) {
    radioSeq += 1;
    var id = 'radio-' + radioSeq;
    var wrap = el('div', 'app-type-choice');
    var input = el('input');
    input.type = 'radio';
    input.name = 'app-type';
    input.value = value;
    input.id = id;
    input.checked = checked;
    if (card.dataset.inputs === 'native') {
      var label1 = el('label');
      label1.appendChild(input);
      label1.appendChild(document.createTextNode(' ' + label));
      wrap.appendChild(label1);
    } else {
      // SLDS: the input is a clipped 1 px square; the label (faux circle and text) takes the click.
      var span = el('span', 'slds-radio');
      span.appendChild(input);
      var label2 = el('label', 'slds-radio__label');
      label2.htmlFor = id;
      label2.appendChild(el('span', 'slds-radio_faux'));
      label2.appendChild(el('span', 'slds-form-element__label', label));
      span.appendChild(label2);
      wrap.appendChild(span);
    }
    if (help) {
      var helpText = el('div', 'slds-form-element__help', help);
      wrap.appendChild(helpText);
    }
    return wrap;
  }

  function showChooser(button) {
    var fieldset = el('fieldset', 'slds-form-element');
    fieldset.appendChild(el('legend', 'slds-form-element__legend slds-form-element__label',
      'What do you want to create?'));
    var control = el('div', 'slds-form-element__control');
    control.appendChild(radio('eca', 'Create an External Client App',
      'Recommended. External client apps are the new generation of connected apps, with secure defaults and packaging support.',
      true));
    control.appendChild(radio('connected', 'Create a Connected App',
      'Connected apps are being retired. Create one only if your integration still needs it.', false));
    fieldset.appendChild(control);
    modal(button.textContent.trim(),
      'Salesforce recommends external client apps for new integrations.',
      [
        { label: 'Cancel', onClick: closeModal },
        {
          label: 'Continue',
          className: 'slds-button_brand',
          onClick: function () {
            var chosen = openModal && openModal.section.querySelector('input[name="app-type"]:checked');
            var target = chosen && chosen.value === 'connected' ? card.dataset.newConnectedApp : card.dataset.newEca;
            window.location.assign(target);
          },
        },
      ],
      fieldset);
  }

  // --- the list ------------------------------------------------------------------------------------
  function spinnerIn(parent, className) {
    var spin = el('div', 'slds-spinner slds-spinner_brand slds-spinner_x-small ' + (className || ''));
    spin.setAttribute('role', 'status');
    spin.appendChild(el('span', 'slds-assistive-text', 'Loading'));
    parent.appendChild(spin);
    return spin;
  }

  function cardSpinner() {
    if (card.querySelector(':scope > .slds-spinner_container')) return;
    var container = el('div', 'slds-spinner_container');
    container.setAttribute('role', 'status');
    container.setAttribute('aria-busy', 'true');
    var spin = el('div', 'slds-spinner slds-spinner_medium');
    spin.appendChild(el('span', 'slds-assistive-text', 'Loading'));
    container.appendChild(spin);
    card.appendChild(container);
  }

  function removeCardSpinner() {
    var old = card.querySelector(':scope > .slds-spinner_container');
    if (old) old.remove();
  }

  function fetchApps(offset) {
    var url = card.dataset.source;
    if (LAZY) url += '?offset=' + offset + '&limit=' + BATCH;
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      });
  }

  function headerCell(label) {
    var th = el('th');
    th.setAttribute('scope', 'col');
    if (!label) {
      th.appendChild(el('span', 'slds-assistive-text', 'Actions'));
      return th;
    }
    if (DATATABLE) {
      th.setAttribute('aria-label', label);
      th.setAttribute('aria-sort', label === 'App Name' ? 'ascending' : 'none');
      var factory = el('lightning-primitive-header-factory');
      var action = el('span', 'slds-th__action');
      var text = el('span', 'slds-truncate', label);
      text.title = label;
      action.appendChild(text);
      factory.appendChild(action);
      th.appendChild(factory);
    } else {
      var div = el('div', 'slds-truncate', label);
      div.title = label;
      th.appendChild(div);
    }
    return th;
  }

  function buildList() {
    var scroller = el('div', 'app-list-scroller' + (DATATABLE ? ' slds-scrollable_y' : ' uiScroller scroller-wrapper'));
    var table = el('table', DATATABLE
      ? 'slds-table slds-table_header-fixed slds-table_bordered slds-table_edit slds-table_resizable-cols'
      : 'slds-table slds-table_bordered slds-table_cell-buffer forceRecordLayout');
    if (DATATABLE) table.setAttribute('role', 'grid');
    else table.setAttribute('aria-label', 'Lightning Experience App Manager');
    var thead = el('thead');
    var headRow = el('tr', 'slds-line-height_reset');
    COLUMNS.concat(['']).forEach(function (label) { headRow.appendChild(headerCell(label)); });
    thead.appendChild(headRow);
    table.appendChild(thead);
    var tbody = el('tbody');
    table.appendChild(tbody);
    var inner = el('div');
    inner.appendChild(table);
    scroller.appendChild(inner);
    scroller.addEventListener('scroll', function () {
      positionMenu();
      if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - LOAD_MORE_OFFSET) loadMore();
    });
    return { scroller: scroller, table: table, inner: inner, tbody: tbody, loaded: 0, total: null,
      loading: false, generation: generation };
  }

  function done() {
    return list.total !== null && list.loaded >= list.total;
  }

  function setLoading(on) {
    list.loading = on;
    var old = card.querySelector('.list-loading');
    if (old) old.remove();
    if (!on) return;
    if (DATATABLE) {
      // lightning-datatable: <tr><td class="slds-is-relative" colspan=N><lightning-primitive-datatable-loading-indicator>
      var tr = el('tr', 'list-loading');
      var td = el('td', 'slds-is-relative');
      td.colSpan = COLUMNS.length + 1;
      var indicator = el('lightning-primitive-datatable-loading-indicator');
      spinnerIn(indicator, '');
      td.appendChild(indicator);
      tr.appendChild(td);
      list.tbody.appendChild(tr);
    } else {
      var div = el('div', 'list-loading');
      spinnerIn(div, '');
      list.inner.appendChild(div);
    }
  }

  function updateCount() {
    var meta = card.querySelector('.slds-page-header__meta-text');
    var n = list.loaded;
    var more = !done();
    meta.textContent = n + (more ? '+' : '') + (n === 1 && !more ? ' item' : ' items') + ' \u2022 Sorted by App Name';
  }

  function load() {
    closeMenu(false);
    generation += 1;
    var old = card.querySelector('.app-list-scroller');
    if (old) old.remove();
    list = buildList();
    if (DATATABLE) {
      // The datatable is there at once, its body holding only the loading indicator.
      card.appendChild(list.scroller);
      setLoading(true);
    } else {
      cardSpinner();
    }
    var mine = generation;
    fetchApps(0)
      .then(function (data) {
        if (mine !== generation) return;
        removeCardSpinner();
        if (!DATATABLE) card.appendChild(list.scroller);
        append(data);
      })
      .catch(function () {
        if (mine !== generation) return;
        removeCardSpinner();
        setLoading(false);
        toast('The app list could not be loaded. Reload the page to try again.', true);
      });
  }

  function append(data) {
    setLoading(false);
    (data.apps || []).forEach(function (app) { list.tbody.appendChild(row(app)); });
    list.loaded += (data.apps || []).length;
    list.total = typeof data.total === 'number' ? data.total : list.loaded;
    updateCount();
    // Like lightning-datatable, load on while the rows do not fill the scroll region yet.
    if (LAZY && !done() && list.scroller.scrollHeight <= list.scroller.clientHeight) loadMore();
  }

  function loadMore() {
    if (!list || list.loading || !LAZY || done()) return;
    setLoading(true);
    var mine = generation;
    fetchApps(list.loaded)
      .then(function (data) { if (mine === generation) append(data); })
      .catch(function () {
        if (mine !== generation) return;
        setLoading(false);
        toast('More apps could not be loaded. Scroll again to retry.', true);
      });
  }

  function cell(value) {
    var td = el('td');
    if (DATATABLE) {
      td.setAttribute('role', 'gridcell');
      td.setAttribute('tabindex', '-1');
    }
    var div = el('div', 'slds-truncate', value || '');
    if (value) div.title = value;
    td.appendChild(div);
    return td;
  }

  function row(app) {
    var tr = el('tr', 'slds-hint-parent');
    if (DATATABLE) {
      tr.dataset.rowKeyValue = app.id;
      tr.setAttribute('aria-selected', 'false');
    }
    var name = el('th');
    name.setAttribute('scope', 'row');
    if (DATATABLE) {
      name.setAttribute('tabindex', '-1');
      name.dataset.label = 'App Name';
    }
    var nameBox = el('div', 'app-name');
    var icon = el('span', 'app-icon', app.name.charAt(0));
    icon.setAttribute('aria-hidden', 'true');
    icon.style.background = ICON_COLOURS[app.name.length % ICON_COLOURS.length];
    nameBox.appendChild(icon);
    var nameText = el('div', 'slds-truncate', app.name);
    nameText.title = app.name;
    nameBox.appendChild(nameText);
    name.appendChild(nameBox);
    tr.appendChild(name);
    [app.developerName, app.description, app.lastModified, app.appType].forEach(function (value) {
      tr.appendChild(cell(value));
    });
    var visible = cell('');
    if (app.visibleInLightning) {
      var check = el('span', 'slds-icon_container', '\u2713');
      check.title = 'True';
      check.setAttribute('role', 'img');
      check.setAttribute('aria-label', 'True');
      visible.firstChild.appendChild(check);
    }
    tr.appendChild(visible);
    var actions = DATATABLE ? cell('') : el('td');
    actions.textContent = '';
    actions.appendChild(DATATABLE ? buttonMenu(app) : auraTrigger(app));
    tr.appendChild(actions);
    return tr;
  }

  // --- datatable: lightning-button-menu ------------------------------------------------------------
  function buttonMenu(app) {
    var cellActions = el('lightning-primitive-cell-actions');
    var menu = el('lightning-button-menu', 'slds-dropdown-trigger slds-dropdown-trigger_click');
    var button = el('button', 'slds-button slds-button_icon-border-filled slds-button_icon-x-small');
    button.type = 'button';
    button.title = 'Show actions';
    button.setAttribute('aria-haspopup', 'true');
    button.setAttribute('aria-expanded', 'false');
    var arrow = el('span', 'slds-button__icon', '\u25BE');
    arrow.setAttribute('aria-hidden', 'true');
    button.appendChild(arrow);
    button.appendChild(el('span', 'slds-assistive-text', 'Show actions'));
    button.addEventListener('click', function (event) {
      event.stopPropagation();
      if (openMenu && openMenu.button === button) closeMenu(true);
      else openDatatableMenu(menu, button, app);
    });
    menu.appendChild(button);
    cellActions.appendChild(menu);
    return cellActions;
  }

  function menuItem(action, app, button) {
    var item = el(DATATABLE ? 'lightning-menu-item' : 'li', DATATABLE ? 'slds-dropdown__item' : 'uiMenuItem');
    item.setAttribute('role', 'presentation');
    var link = el('a');
    link.setAttribute('role', 'menuitem');
    link.setAttribute('tabindex', '-1');
    link.setAttribute('href', 'javascript:void(0);');
    link.title = action.label;
    link.appendChild(el('span', 'slds-truncate', action.label));
    link.addEventListener('click', function (event) {
      event.preventDefault();
      event.stopPropagation();
      closeMenu(false);
      if (action.href) window.location.assign(action.href);
      else if (action.action === 'delete') confirmDelete(app, button);
      else showBuilderNotice(button);
    });
    item.appendChild(link);
    return item;
  }

  function openDatatableMenu(host, button, app) {
    closeMenu(false);
    var dropdown = el('div', 'slds-dropdown slds-dropdown_right slds-dropdown_actions');
    dropdown.setAttribute('role', 'menu');
    dropdown.setAttribute('aria-label', 'Show actions');
    dropdown.setAttribute('aria-busy', 'true');
    spinnerIn(dropdown, '');
    host.classList.add('slds-is-open');
    host.appendChild(dropdown);
    button.setAttribute('aria-expanded', 'true');
    openMenu = { button: button, menu: dropdown, host: host, app: app };
    positionMenu();
    // Dynamic row actions: the menu shows a spinner until the row's actions are known.
    setTimeout(function () {
      if (!openMenu || openMenu.menu !== dropdown) return;
      dropdown.textContent = '';
      dropdown.removeAttribute('aria-busy');
      app.actions.forEach(function (action) { dropdown.appendChild(menuItem(action, app, button)); });
      var first = dropdown.querySelector('[role="menuitem"]');
      if (first) first.focus();
    }, 150);
  }

  // --- table: the Aura row trigger and its menu at the end of <body> -------------------------------
  function auraTrigger(app) {
    var link = el('a', 'rowActionsPlaceHolder slds-button slds-button--icon-x-small slds-button--icon-border-filled');
    link.setAttribute('role', 'button');
    link.setAttribute('href', 'javascript:void(0);');
    link.setAttribute('aria-haspopup', 'true');
    link.setAttribute('aria-expanded', 'false');
    link.title = 'Show Actions';
    var arrow = el('span', '', '\u25BE');
    arrow.setAttribute('aria-hidden', 'true');
    link.appendChild(arrow);
    link.appendChild(el('span', 'slds-assistive-text', 'Show Actions'));
    link.addEventListener('click', function (event) {
      event.preventDefault();
      event.stopPropagation();
      if (openMenu && openMenu.button === link) closeMenu(true);
      else openAuraMenu(link, app);
    });
    return link;
  }

  function openAuraMenu(trigger, app) {
    closeMenu(false);
    if (!sharedMenu) {
      sharedMenu = el('div', 'uiPopupTarget uiMenuList forceVirtualActionMenu uiMenuList--default uiMenuList--right');
      var menuRole = el('div');
      menuRole.setAttribute('role', 'menu');
      menuRole.appendChild(el('ul', 'scrollable'));
      sharedMenu.appendChild(menuRole);
      document.body.appendChild(sharedMenu);
    }
    var ul = sharedMenu.querySelector('ul');
    ul.textContent = '';
    app.actions.forEach(function (action) { ul.appendChild(menuItem(action, app, trigger)); });
    sharedMenu.classList.add('visible', 'positioned');
    trigger.setAttribute('aria-expanded', 'true');
    openMenu = { button: trigger, menu: sharedMenu, host: null, app: app };
    positionMenu();
    var first = sharedMenu.querySelector('[role="menuitem"]');
    if (first) first.focus();
  }

  function positionMenu() {
    if (!openMenu) return;
    var rect = openMenu.button.getBoundingClientRect();
    var menu = openMenu.menu;
    if (openMenu.host) {
      // lightning-button-menu with auto alignment: fixed to the viewport, so the scroll region does not clip it.
      menu.style.position = 'fixed';
      menu.style.top = rect.bottom + 2 + 'px';
      menu.style.left = Math.max(4, rect.right - 160) + 'px';
      menu.style.right = 'auto';
      menu.style.width = '160px';
    } else {
      menu.style.top = rect.bottom + window.scrollY + 2 + 'px';
      menu.style.left = Math.max(4, rect.right + window.scrollX - 160) + 'px';
      menu.style.width = '160px';
    }
  }

  function closeMenu(returnFocus) {
    if (!openMenu) return;
    if (openMenu.host) {
      openMenu.menu.remove(); // lightning-button-menu renders its dropdown only while it is open
      openMenu.host.classList.remove('slds-is-open');
    } else {
      openMenu.menu.classList.remove('visible', 'positioned'); // the Aura menu stays, hidden
    }
    openMenu.button.setAttribute('aria-expanded', 'false');
    if (returnFocus) openMenu.button.focus();
    openMenu = null;
  }

  window.addEventListener('resize', positionMenu);
  window.addEventListener('scroll', positionMenu, true);

  document.addEventListener('click', function (event) {
    if (openMenu && !openMenu.menu.contains(event.target) && !openMenu.button.contains(event.target)) closeMenu(false);
  });

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      if (openModal) { closeModal(); return; }
      if (openMenu) { event.preventDefault(); closeMenu(true); }
      return;
    }
    if (!openMenu || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp')) return;
    var items = Array.prototype.slice.call(openMenu.menu.querySelectorAll('[role="menuitem"]'));
    if (!items.length) return;
    var index = items.indexOf(document.activeElement);
    var next = event.key === 'ArrowDown' ? index + 1 : index - 1;
    items[(next + items.length) % items.length].focus();
    event.preventDefault();
  });

  // --- modals -------------------------------------------------------------------------------------
  function modal(heading, body, buttons, extra) {
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
    if (extra) content.appendChild(extra);
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
    openModal = { section: section, backdrop: backdrop };
    footer.querySelector('button').focus();
  }

  function closeModal() {
    if (!openModal) return;
    openModal.section.remove();
    openModal.backdrop.remove();
    openModal = null;
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
