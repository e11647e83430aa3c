// Links into the harness reference from before it was split into pages by module
// (/reference/#harness.processes.AppProcess, /reference/#proven.processes.AppProcess,
// /reference/check/#proven.check.checks.Runner) land on that module's page. The map of
// module to page is written into the page by its line `!moved-anchors`
// (src/proven/site/anchors_extension.py), from the pages' `::: proven.<module>` lines.
// A name this page still has stays here; the longest module the name starts with wins.
(function () {
  var match = /^#(?:harness|proven)\.(.+)$/.exec(location.hash);
  var moved = document.getElementById("moved-anchors");
  if (!match || !moved || document.getElementById("proven." + match[1])) return;
  var pages = JSON.parse(moved.dataset.pages);
  var name = match[1];
  var module = "";
  Object.keys(pages).forEach(function (key) {
    var inside = name === key || name.indexOf(key + ".") === 0;
    if (inside && key.length > module.length) module = key;
  });
  if (!module) return;
  var base = location.pathname.replace(/reference\/.*$/, "reference/");
  location.replace(base + pages[module] + "#proven." + name);
})();
