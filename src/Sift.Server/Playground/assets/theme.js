// Applies the saved theme before the first paint (a module script would run too late and flash).
// The theme is a display preference, not a secret, so it lives in localStorage for every tab.
(function () {
  var theme = null;
  try { theme = localStorage.getItem("sift.theme"); } catch (e) { /* storage disabled: automatic theme */ }
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
})();
