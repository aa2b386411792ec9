// Small, CSP-friendly enhancements. Every page works without this file.
(function () {
  // Preselect the browser's time zone on forms that ask for one, if the user has not chosen.
  function detectTimeZone(root) {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    root.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
      if (select.dataset.touched || !zone) return;
      var option = select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]');
      if (option && select.value === "UTC") select.value = zone;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    detectTimeZone(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    detectTimeZone(event.target);
  });
})();
