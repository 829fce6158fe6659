// The compose forms (claim from a passage, new source), enhanced: entity pickers over /search, and a
// check as the user goes: the form is posted with action=check and the server answers the Turtle it
// would send and its findings, each placed on a form field. Without this script the forms still post.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  if (!form) return;
  var turtle = document.getElementById("compose-turtle");
  var status = document.getElementById("compose-status");
  var timer = null;
  var sequence = 0;
  var WAIT_MS = 300;

  function show(result) {
    turtle.textContent = result.turtle;
    var byField = {};
    result.problems.forEach(function (p) { (byField[p.field] = byField[p.field] || []).push(p); });
    form.querySelectorAll("ul.problems").forEach(function (list) {
      list.textContent = "";
      list.dataset.fields.split(" ").forEach(function (name) {
        (byField[name] || []).forEach(function (p) {
          var item = document.createElement("li");
          item.className = p.severity.toLowerCase();
          var strong = document.createElement("strong");
          strong.textContent = p.severity;
          item.appendChild(strong);
          item.appendChild(document.createTextNode(": " + p.message));
          list.appendChild(item);
        });
      });
      var fieldset = list.closest("fieldset");
      if (fieldset) fieldset.classList.toggle("has-problems", !!fieldset.querySelector("ul.problems li.violation"));
    });
    var violations = result.problems.filter(function (p) { return p.severity === "Violation"; }).length;
    var warnings = result.problems.length - violations;
    status.className = "form-status " + (result.conforms ? "ok" : "bad");
    status.textContent = result.conforms
      ? "Checked: it conforms" + (warnings ? " (" + warnings + " warning(s) to read)" : "") + ". Submit it when you are ready."
      : violations + " problem(s) to fix: see the marked fields.";
  }

  function check() {
    var mine = ++sequence;
    var data = new URLSearchParams(new FormData(form));
    data.set("action", "check");
    status.className = "form-status";
    status.textContent = "Checking…";
    // form.action would be the buttons named "action": the attribute is the URL.
    fetch(form.getAttribute("action"), { method: "POST", body: data, headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { response: response, body: body }; });
      })
      .then(function (answer) {
        if (mine !== sequence) return;
        if (answer.body.turtle !== undefined) { show(answer.body); return; }
        status.className = "form-status bad";
        var error = answer.body.error || {};
        status.textContent = error.message || ("The server answered " + answer.response.status);
      })
      .catch(function () {
        if (mine === sequence) status.textContent = "Could not reach the server to check the form.";
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, WAIT_MS);
  }

  // A check when a field is left or a choice made, not at each key: every check counts against the
  // per-client rate of validations (contribution_rate_per_minute).
  form.addEventListener("change", function (event) {
    if (event.target.type !== "search") later();
  });
  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.value === "check") {
      event.preventDefault();
      clearTimeout(timer);
      check();
    }
  });

  var kind = document.getElementById("kind");
  var kindHelp = document.getElementById("kind-help");
  function explainKind() {
    var option = kind.options[kind.selectedIndex];
    kindHelp.textContent = option && option.title ? option.title : "";
  }
  if (kind && kindHelp) {
    kind.addEventListener("change", explainKind);
    explainKind();
  }

  form.querySelectorAll(".picker").forEach(function (box) {
    var search = box.querySelector("input[type=search]");
    var chosenIri = box.querySelector("input[type=hidden]");
    var chosen = box.querySelector(".chosen");
    var hits = box.querySelector("ul.hits");
    var details = box.querySelector("details.new-entity");
    var waiting = null;

    function choose(hit) {
      chosenIri.value = hit.iri;
      search.value = hit.label;
      chosen.textContent = "chosen: " + hit.label + (hit.types.length ? " (" + hit.types.join(", ") + ")" : "");
      hits.hidden = true;
      later();
    }

    function offerNew() {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "new";
      button.textContent = "New entity: “" + search.value.trim() + "”";
      button.addEventListener("click", function () {
        chosenIri.value = "";
        details.open = true;
        details.querySelector("input").value = search.value.trim();
        details.querySelector("select").focus();
        hits.hidden = true;
        later();
      });
      item.appendChild(button);
      return item;
    }

    function render(list) {
      hits.textContent = "";
      var seen = {};
      list.forEach(function (hit) {
        if (seen[hit.iri] || hit.types.indexOf("nx:Claim") >= 0) return;
        seen[hit.iri] = true;
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = hit.label;
        var types = document.createElement("span");
        types.className = "muted";
        types.textContent = " " + hit.types.join(", ");
        button.appendChild(types);
        button.addEventListener("click", function () { choose(hit); });
        item.appendChild(button);
        hits.appendChild(item);
      });
      hits.appendChild(offerNew());
      hits.hidden = false;
    }

    function lookup() {
      var words = search.value.trim().split(/\s+/)
        .map(function (w) { return w.replace(/[^\p{L}\p{N}]/gu, ""); })
        .filter(function (w) { return w.length > 0; });
      if (!words.length) { hits.hidden = true; return; }
      var query = new URLSearchParams({ q: words.map(function (w) { return w + "*"; }).join(" "), limit: "12" });
      fetch("/search?" + query, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { hits: [] }; })
        .then(function (page) {
          render((page.hits || []).filter(function (h) { return h.kind === "label" || h.kind === "altLabel"; }));
        })
        .catch(function () { render([]); });
    }

    search.addEventListener("input", function () {
      chosenIri.value = "";
      chosen.textContent = "";
      clearTimeout(waiting);
      waiting = setTimeout(lookup, 250);
    });
  });
})();
