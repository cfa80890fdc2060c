/* Create Permission Set: fill the API Name from the Label when the Label loses focus, as classic
 * Setup pages do for MasterLabel -> DeveloperName. Only an empty API Name is filled. */
(function () {
  'use strict';
  var MAX = 80;

  function apiNameFrom(label) {
    var name = label.trim().replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+/, '');
    if (/^[0-9]/.test(name)) name = 'X' + name;
    name = name.substring(0, MAX).replace(/_+$/, '');
    return name;
  }

  var label = document.getElementById('page:form:block:section:label');
  var apiName = document.getElementById('page:form:block:section:developerName');
  if (!label || !apiName) return;

  function fill() {
    if (apiName.value.trim() !== '') return;
    apiName.value = apiNameFrom(label.value);
  }

  label.addEventListener('blur', fill);
  label.addEventListener('change', fill);
})();
