/* External Client App pages (reference H): the ECA Manager's header button and row actions, the New form
 * (API Name from the name on blur, Enable OAuth and Enable JWT Bearer Flow revealing their blocks, the
 * dual listboxes, Upload Files, Create without a reload), the app page's tabs, the collapsed OAuth
 * Settings section, "Consumer Key and Secret" in a new window, and the policies editor (Permitted Users'
 * confirmation, Save without a reload). */
(function () {
  'use strict';

  var el = window.setupUi.el;
  var toast = window.setupUi.toast;

  // --- buttons that go somewhere, open a window, or only say "not simulated" -------------------------------
  document.querySelectorAll('button[data-href]').forEach(function (button) {
    button.addEventListener('click', function () { window.location.assign(button.dataset.href); });
  });
  document.querySelectorAll('button[data-window]').forEach(function (button) {
    button.addEventListener('click', function () { window.open(button.dataset.window, 'ConsumerDetails'); });
  });
  document.querySelectorAll('button[data-toast]').forEach(function (button) {
    button.addEventListener('click', function () { toast(button.dataset.toast, true); });
  });

  // --- the ECA Manager's row actions (a lightning-button-menu: items exist only while it is open) ----------
  function closeMenus() {
    document.querySelectorAll('.eca-manager .slds-dropdown').forEach(function (menu) {
      var trigger = menu.parentElement.querySelector('button[aria-haspopup]');
      if (trigger) trigger.setAttribute('aria-expanded', 'false');
      menu.remove();
    });
  }
  document.querySelectorAll('.eca-manager .slds-dropdown-trigger').forEach(function (holder) {
    var button = holder.querySelector('button');
    button.addEventListener('click', function (event) {
      event.stopPropagation();
      var open = holder.querySelector('.slds-dropdown');
      closeMenus();
      if (open) return;
      var menu = el('div', 'slds-dropdown slds-dropdown_right');
      var list = el('ul', 'slds-dropdown__list');
      list.setAttribute('role', 'menu');
      JSON.parse(holder.dataset.actions).forEach(function (action) {
        var li = el('li', 'slds-dropdown__item');
        li.setAttribute('role', 'presentation');
        var a = el('a', '', action.label);
        a.setAttribute('role', 'menuitem');
        a.setAttribute('href', action.href);
        li.appendChild(a);
        list.appendChild(li);
      });
      menu.appendChild(list);
      holder.appendChild(menu);
      button.setAttribute('aria-expanded', 'true');
    });
  });
  document.addEventListener('click', function (event) {
    if (!event.target.closest || !event.target.closest('.slds-dropdown')) closeMenus();
  });
  document.addEventListener('keydown', function (event) { if (event.key === 'Escape') closeMenus(); });

  // --- dual listboxes ------------------------------------------------------------------------------------------
  document.querySelectorAll('[data-dual-listbox]').forEach(function (box) {
    var source = box.querySelector('[role="listbox"][data-side="source"]');
    var selected = box.querySelector('[role="listbox"][data-side="selected"]');
    box.addEventListener('click', function (event) {
      var option = event.target.closest && event.target.closest('[role="option"]');
      if (!option) return;
      var list = option.closest('[role="listbox"]');
      var additive = event.ctrlKey || event.metaKey || event.shiftKey;
      box.querySelectorAll('[role="option"][aria-selected="true"]').forEach(function (o) {
        if (!additive || o.closest('[role="listbox"]') !== list) o.setAttribute('aria-selected', 'false');
      });
      option.setAttribute('aria-selected', additive && option.getAttribute('aria-selected') === 'true' ? 'false' : 'true');
      option.focus();
    });
    box.querySelectorAll('button[data-move]').forEach(function (button) {
      button.addEventListener('click', function () {
        var from = button.dataset.move === 'right' ? source : selected;
        var to = button.dataset.move === 'right' ? selected : source;
        from.querySelectorAll('[role="option"][aria-selected="true"]').forEach(function (option) {
          option.setAttribute('aria-selected', 'false');
          to.appendChild(option.parentElement);
        });
      });
    });
  });

  function chosenValues(form, name) {
    var box = form.querySelector('[data-dual-listbox="' + name + '"]');
    if (!box) return [];
    return Array.prototype.map.call(
      box.querySelectorAll('[role="listbox"][data-side="selected"] [role="option"]'),
      function (o) { return o.dataset.value; }
    );
  }

  // --- errors the server sent back -------------------------------------------------------------------------------
  function clearErrors(form) {
    form.querySelectorAll('.slds-has-error').forEach(function (f) {
      f.classList.remove('slds-has-error');
      var help = f.querySelector('.slds-form-element__help');
      if (help) help.textContent = '';
      f.querySelectorAll('[aria-invalid]').forEach(function (i) { i.removeAttribute('aria-invalid'); });
    });
    var banner = form.querySelector('.eca-page-error');
    if (banner) banner.hidden = true;
  }

  function showErrors(form, data) {
    var banner = form.querySelector('.eca-page-error');
    var list = banner.querySelector('.eca-page-error__list');
    list.textContent = '';
    banner.querySelector('h2').textContent = data.error || 'We hit a snag.';
    banner.querySelector('.eca-page-error__detail').textContent = data.detail || '';
    var errors = data.errors || {};
    Object.keys(errors).forEach(function (name) {
      var field = form.querySelector('[data-field="' + name + '"]');
      var label = name;
      if (field) {
        field.classList.add('slds-has-error');
        var help = field.querySelector('.slds-form-element__help');
        if (help) help.textContent = errors[name];
        var input = field.querySelector('input, textarea, select, [role="listbox"]');
        if (input) input.setAttribute('aria-invalid', 'true');
        var text = field.querySelector('.slds-form-element__label');
        if (text) label = text.textContent.replace(/^\*/, '').trim();
      }
      list.appendChild(el('li', '', label + ': ' + errors[name]));
    });
    banner.hidden = false;
    banner.scrollIntoView({ block: 'nearest' });
  }

  function submit(form, url, body, button) {
    clearErrors(form);
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    fetch(url, { method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' }, body: body })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .catch(function () { return { ok: false, data: { error: 'We hit a snag.', detail: 'The server could not be reached.' } }; })
      .then(function (result) {
        if (result.ok && result.data.url) {
          window.location.assign(result.data.url);
          return;
        }
        button.disabled = false;
        form.removeAttribute('aria-busy');
        showErrors(form, result.data);
      });
  }

  // --- the New External Client App form ---------------------------------------------------------------------------
  var newForm = document.querySelector('form.eca-new-form');
  if (newForm) {
    var nameInput = newForm.querySelector('input[name="name"]');
    var apiInput = newForm.querySelector('input[name="apiName"]');
    // Like Setup: leaving the name fills an empty API Name from it.
    nameInput.addEventListener('blur', function () {
      if (apiInput.value.trim() !== '') return;
      var api = nameInput.value.trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
      if (api && !/^[A-Za-z]/.test(api)) api = 'X' + api;
      apiInput.value = api.slice(0, 40).replace(/_+$/, '');
    });
    newForm.querySelectorAll('input[type="checkbox"][data-reveals]').forEach(function (box) {
      var block = newForm.querySelector('[data-revealed-by="' + box.dataset.reveals + '"]');
      var sync = function () { if (block) block.hidden = !box.checked; };
      box.addEventListener('change', sync);
      sync();
    });
    var file = newForm.querySelector('input[type="file"]');
    if (file) {
      file.addEventListener('change', function () {
        var shown = newForm.querySelector('.eca-file-name');
        shown.textContent = file.files.length ? file.files[0].name : '';
      });
    }
    newForm.querySelector('[data-action="cancel"]').addEventListener('click', function () {
      window.location.assign(newForm.dataset.cancel);
    });
    newForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = new FormData(newForm);
      chosenValues(newForm, 'scopes').forEach(function (v) { body.append('scopes', v); });
      submit(newForm, newForm.dataset.create, body, newForm.querySelector('button[type="submit"]'));
    });
  }

  // --- the app page: tabs, the OAuth Settings section ----------------------------------------------------------------
  document.querySelectorAll('.eca-detail [role="tab"]').forEach(function (tab) {
    tab.addEventListener('click', function (event) {
      event.preventDefault();
      document.querySelectorAll('.eca-detail [role="tab"]').forEach(function (t) {
        var active = t === tab;
        t.setAttribute('aria-selected', active ? 'true' : 'false');
        t.setAttribute('tabindex', active ? '0' : '-1');
        t.parentElement.classList.toggle('slds-is-active', active);
      });
      document.querySelectorAll('.eca-detail [role="tabpanel"]').forEach(function (panel) {
        panel.hidden = panel.dataset.panel !== tab.dataset.tab;
      });
    });
  });
  document.querySelectorAll('.eca-collapsible .slds-section__title-action').forEach(function (button) {
    button.addEventListener('click', function () {
      var section = button.closest('.slds-section');
      var open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
      section.classList.toggle('slds-is-open', open);
      section.querySelector('.slds-section__content').hidden = !open;
    });
  });

  // --- the policies editor -----------------------------------------------------------------------------------------
  var policies = document.querySelector('form.eca-policies-form');
  if (policies) {
    var permitted = policies.querySelector('select[name="permittedUsers"]');
    var previous = permitted.value;
    permitted.addEventListener('change', function () {
      if (permitted.value === '1' && previous !== '1' && !window.confirm(policies.dataset.confirm)) {
        permitted.value = previous;
        return;
      }
      previous = permitted.value;
    });
    policies.querySelector('[data-action="cancel"]').addEventListener('click', function () {
      window.location.assign(policies.dataset.cancel);
    });
    policies.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = new FormData(policies);
      chosenValues(policies, 'profiles').forEach(function (v) { body.append('profiles', v); });
      chosenValues(policies, 'permissionSets').forEach(function (v) { body.append('permissionSets', v); });
      submit(policies, policies.dataset.save, body, policies.querySelector('button[type="submit"]'));
    });
  }
})();
