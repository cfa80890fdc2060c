/* External Client App Settings: each switch saves at once. Turning on "Allow creation of connected
 * apps" first asks for confirmation (Enable / Cancel) where the org requires it; once it is on, the
 * page offers New Connected App. */
(function () {
  'use strict';

  var card = document.querySelector('.eca-settings');
  if (!card) return;
  var lastFocus = null;
  var newApp = card.querySelector('.eca-new-app');

  card.querySelectorAll('button[data-href]').forEach(function (button) {
    button.addEventListener('click', function () { window.location.assign(button.dataset.href); });
  });

  var el = window.setupUi.el;

  var toast = window.setupUi.toast;

  // An SLDS toggle's label wraps the input (its text is in .slds-form-element__label); a plain switch has a label[for].
  function labelOf(input) {
    var wrapping = input.closest('label');
    var text = wrapping && wrapping.querySelector('.slds-form-element__label');
    if (text) return text.textContent.trim();
    var label = input.id ? document.querySelector('label[for="' + input.id + '"]') : null;
    return label ? label.textContent.trim() : input.name;
  }

  function save(input, value) {
    input.disabled = true;
    input.setAttribute('aria-busy', 'true');
    var body = new URLSearchParams();
    body.set('setting', input.name);
    body.set('value', value ? 'true' : 'false');
    body.set('_CONFIRMATIONTOKEN', card.dataset.token);
    return fetch(card.dataset.save, {
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
      .catch(function () { return { ok: false, data: {} }; })
      .then(function (result) {
        input.disabled = false;
        input.removeAttribute('aria-busy');
        if (!result.ok) {
          input.checked = !value;
          toast(result.data.error || 'Your change to "' + labelOf(input) + '" could not be saved.', true);
          return;
        }
        input.checked = value;
        if (input.name === 'connected_app_creation') {
          if (newApp) newApp.hidden = !value;
          toast(value ? 'Connected apps can now be created in this org.'
            : 'Connected apps can no longer be created in this org.', false);
        } else {
          toast('"' + labelOf(input) + '" is now ' + (value ? 'on.' : 'off.'), false);
        }
      });
  }

  function modal(input) {
    lastFocus = input;
    var section = el('section', 'slds-modal slds-fade-in-open');
    section.setAttribute('role', 'dialog');
    section.setAttribute('tabindex', '-1');
    section.setAttribute('aria-modal', 'true');
    section.setAttribute('aria-labelledby', 'modal-heading-01');
    section.setAttribute('aria-describedby', 'modal-content-id-1');
    var container = el('div', 'slds-modal__container');
    var header = el('div', 'slds-modal__header');
    var h2 = el('h2', 'slds-modal__title slds-hyphenate', 'Allow creation of connected apps?');
    h2.id = 'modal-heading-01';
    header.appendChild(h2);
    var content = el('div', 'slds-modal__content slds-p-around_medium');
    content.id = 'modal-content-id-1';
    content.appendChild(el('p', '',
      'Admins in this org will be able to create new connected apps again. Salesforce recommends external ' +
      'client apps for new integrations, and connected apps are being retired. You can turn this off later.'));
    var footer = el('div', 'slds-modal__footer');
    var cancel = el('button', 'slds-button slds-button_neutral', 'Cancel');
    cancel.type = 'button';
    var enable = el('button', 'slds-button slds-button_brand', 'Enable');
    enable.type = 'button';
    cancel.addEventListener('click', function () { closeModal(); });
    enable.addEventListener('click', function () {
      enable.disabled = true;
      closeModal();
      save(input, true);
    });
    footer.appendChild(cancel);
    footer.appendChild(enable);
    container.appendChild(header);
    container.appendChild(content);
    container.appendChild(footer);
    section.appendChild(container);
    document.body.appendChild(section);
    document.body.appendChild(el('div', 'slds-backdrop slds-backdrop_open'));
    cancel.focus();
  }

  function closeModal() {
    document.querySelectorAll('.slds-modal, .slds-backdrop').forEach(function (n) { n.remove(); });
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
    lastFocus = null;
  }

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && document.querySelector('.slds-modal')) closeModal();
  });

  card.querySelectorAll('input[type="checkbox"]').forEach(function (input) {
    input.addEventListener('change', function () {
      var value = input.checked;
      if (input.name === 'connected_app_creation' && value && card.dataset.confirmEnable === 'true') {
        input.checked = false; // stays off until the change is confirmed
        modal(input);
        return;
      }
      save(input, value);
    });
  });
})();
