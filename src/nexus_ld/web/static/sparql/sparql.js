// The query UI: YASGUI (vendored, no CDN) on this endpoint, inside the site's page, opening on the
// first example query, with the others offered by name.
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  // Absolute: YASR builds a URL object from it when it shows an error.
  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href).href;
  var examples = JSON.parse(document.getElementById("nx-examples").textContent);

  // Nothing leaves this site: no LOV term look-ups, no other endpoints in the catalogue.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  Yasgui.defaults.endpointCatalogueOptions.getData = function () {
    return [{ endpoint: endpoint }];
  };
  Yasgui.defaults.requestConfig.endpoint = endpoint;
  // A new visitor's first tab holds the first example (who led TTP), not an empty ?s ?p ?o.
  if (examples.length) Yasgui.Yasqe.defaults.value = examples[0].query;

  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: "nexus-ld-yasgui",
  });

  // The picker opens a tab; the form is never sent (no inline handler: the page's CSP forbids them).
  document.getElementById("nx-examples-form").addEventListener("submit", function (event) {
    event.preventDefault();
  });
  document.getElementById("nx-example").addEventListener("change", function (event) {
    var example = examples[Number(event.target.value)];
    if (!example) return;
    yasgui.addTab(true, {
      name: example.title.length > 40 ? example.title.slice(0, 39) + "…" : example.title,
      yasqe: { value: example.query },
      requestConfig: { endpoint: endpoint, method: "POST" },
    });
    event.target.value = "";
  });
})();
