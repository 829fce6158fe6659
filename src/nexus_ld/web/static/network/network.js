/* The network view: draws /network.json with cytoscape.js (vendored).
 *
 * The whole network (every year, every status) is laid out once, so that nodes keep their places;
 * moving the year or ticking a status asks the server which nodes and edges are shown
 * (/network.json?year=…&status=…: the filtering lives in one place, web/network.py) and hides
 * the rest. Colours come from the stylesheet (the legend's swatches and badges). Text from the
 * data is only ever set as textContent.
 */
(function () {
  "use strict";
  const box = document.getElementById("cy");
  if (!box || typeof cytoscape === "undefined") return;
  const form = document.getElementById("network-form");
  const yearInput = document.getElementById("year");
  const yearOut = document.getElementById("year-out");
  const statusLine = document.getElementById("network-status");
  const details = document.getElementById("details");
  const jsonUrl = box.dataset.json;

  const background = (el) => getComputedStyle(el).backgroundColor;
  // The legend is the key: each swatch gives its category's colour and shape to the drawing.
  const nodeColours = {};
  const nodeShapes = {};
  document.querySelectorAll(".swatch[data-category]").forEach((el) => {
    nodeColours[el.dataset.category] = background(el);
    nodeShapes[el.dataset.category] = el.dataset.shape;
  });
  const statusColours = {};
  document.querySelectorAll(".legend-status[data-status] .badge").forEach((el) => {
    statusColours[el.parentElement.dataset.status] = background(el);
  });

  function chosenStatuses() {
    return Array.from(form.querySelectorAll("input[name=status]:checked")).map((i) => i.value);
  }

  async function getJson(params) {
    const response = await fetch(jsonUrl + "?" + params.toString(), { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    return body;
  }

  function elements(data) {
    const nodes = data.nodes.map((n) => ({ group: "nodes", data: Object.assign({}, n, {
      colour: nodeColours[n.category] || "#888", shape: nodeShapes[n.category] || "ellipse" }) }));
    const edges = data.edges.map((e) => ({ group: "edges", data: edgeData(e) }));
    return nodes.concat(edges);
  }

  function edgeData(e) {
    return Object.assign({}, e, { colour: statusColours[e.status] || "#777" });
  }

  const cy = cytoscape({
    container: box,
    elements: [],
    minZoom: 0.2,
    maxZoom: 3,
    style: [
      { selector: "node", style: {
        "background-color": "data(colour)", "shape": "data(shape)", "label": "data(label)", "width": "data(size)", "height": "data(size)",
        "font-family": "system-ui, sans-serif", "font-size": 16, "color": "#1d232b",
        "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "wrap", "text-max-width": 130,
        "text-background-color": "#fff", "text-background-opacity": 0.75, "text-background-padding": 1,
        "border-width": 1.5, "border-color": "#fff" } },
      { selector: "edge", style: {
        "width": 2, "line-color": "data(colour)", "target-arrow-color": "data(colour)", "target-arrow-shape": "triangle",
        "arrow-scale": 0.8, "curve-style": "bezier", "font-size": 10, "color": "#38424d",
        "font-family": "system-ui, sans-serif", "text-rotation": "autorotate",
        "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
      // A line's kind shows where the reader looks (hover, or the lines of a clicked node): written on
      // every line at once, the labels around the hubs covered each other.
      { selector: "edge.labelled", style: { "label": "data(kindLabel)", "z-index": 10 } },
      { selector: "edge[!dated]", style: { "line-style": "dotted" } },
      { selector: ":selected", style: { "overlay-color": "#e0b400", "overlay-opacity": 0.25, "overlay-padding": 4 } },
      { selector: ".faded", style: { "opacity": 0.25 } },
    ],
  });

  function layout() {
    cy.nodes().forEach((n) => { n.data("size", Math.min(20 + 4 * n.degree(), 56)); });
    // Deterministic: a circle first (nodes in the server's order), then force-directed from there
    // (no random start), then labels pushed apart: the same picture on every load.
    cy.layout({ name: "circle", animate: false }).run();
    // Longer edges around hubs (TTP, al-Qaeda) leave room for their many neighbours.
    const hub = (e) => Math.max(e.source().degree(), e.target().degree());
    cy.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: () => 14000, nodeOverlap: 20,
      idealEdgeLength: (e) => 55 + 4 * Math.min(hub(e), 16), edgeElasticity: () => 80, gravity: 1.2,
      componentSpacing: 40, numIter: 3000, padding: 20 }).run();
    separate(cy.nodes(), 4);
  }

  // Moves nodes apart until no two (body and label) overlap, by the smaller overlap each time, half
  // to each side; in model coordinates, so no zoom makes them overlap again. Every node is placed
  // once for the whole network, so the part shown for a year or a status overlaps nowhere either.
  function separate(nodes, gap) {
    const list = nodes.toArray();
    for (let round = 0; round < 300; round++) {
      const boxes = list.map((n) => n.boundingBox({ includeLabels: true, includeOverlays: false }));
      let moved = false;
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = boxes[i], b = boxes[j];
          const dx = Math.min(a.x2 - b.x1, b.x2 - a.x1) + gap, dy = Math.min(a.y2 - b.y1, b.y2 - a.y1) + gap;
          if (dx <= 0 || dy <= 0) continue;
          const p = list[i].position(), q = list[j].position();
          const sx = p.x <= q.x ? -1 : 1, sy = p.y <= q.y ? -1 : 1;
          const move = dx < dy ? { x: sx * dx / 2, y: 0 } : { x: 0, y: sy * dy / 2 };
          list[i].position({ x: p.x + move.x, y: p.y + move.y });
          list[j].position({ x: q.x - move.x, y: q.y - move.y });
          [a.x1, a.x2, a.y1, a.y2] = [a.x1 + move.x, a.x2 + move.x, a.y1 + move.y, a.y2 + move.y];
          [b.x1, b.x2, b.y1, b.y2] = [b.x1 - move.x, b.x2 - move.x, b.y1 - move.y, b.y2 - move.y];
          moved = true;
        }
      }
      if (!moved) return round;
    }
    return -1;
  }

  let sequence = 0;
  async function apply() {
    const mine = ++sequence;
    const statuses = chosenStatuses();
    const params = new URLSearchParams();
    if (yearInput) params.set("year", yearInput.value);
    params.set("status", statuses.join(","));
    params.set("undated", form.querySelector("input[type=checkbox][name=undated]").checked ? "1" : "0");
    let shown = { nodes: [], edges: [] };
    if (statuses.length) {
      try { shown = await getJson(params); } catch (err) { statusLine.textContent = "Could not load the network: " + err.message; return; }
    }
    if (mine !== sequence) return; // a later change has been asked for
    const nodeIds = new Set(shown.nodes.map((n) => n.id));
    const edgesById = new Map(shown.edges.map((e) => [e.id, e]));
    cy.batch(() => {
      cy.nodes().forEach((n) => { n.style("display", nodeIds.has(n.id()) ? "element" : "none"); });
      cy.edges().forEach((e) => {
        const now = edgesById.get(e.id());
        e.style("display", now ? "element" : "none");
        if (now) e.data(edgeData(now));
      });
    });
    const when = yearInput ? " as of " + yearInput.value : "";
    statusLine.textContent = nodeIds.size + " nodes, " + edgesById.size + " links" + when + "." +
      (statuses.length ? "" : " Tick a status to draw its claims.");
    box.setAttribute("aria-label", "Network of " + nodeIds.size + " nodes and " + edgesById.size + " links" + when);
    const url = new URL(window.location.href);
    url.search = params.toString();
    window.history.replaceState(null, "", url);
    box.dataset.shownNodes = String(nodeIds.size);
    box.dataset.shownEdges = String(edgesById.size);
    box.dataset.state = "ready";
    const selected = cy.$(":selected");
    if (selected.length && selected.style("display") !== "none") showDetails(selected[0]); else hideDetails();
  }

  // --- the details panel ------------------------------------------------------------------------
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (k === "text") node.textContent = v; else node.setAttribute(k, v); });
    (children || []).forEach((c) => node.append(c));
    return node;
  }
  // No href (an IRI of another scheme than http(s), see urls.py): text, not a link.
  const link = (href, text, cls) => (href ? el("a", { href: href, text: text, class: cls || "" }) : el("span", { text: text, class: cls || "" }));
  const badge = (slug, label) => el("span", { class: "badge status-" + slug, text: label });

  function claimItem(c) {
    const badgeLink = link(c.href, "", "badge-link");
    badgeLink.append(badge(c.status, c.statusLabel));
    const parts = [badgeLink];
    if (c.hedged) parts.push(" ", el("span", { class: "badge hedged", text: "hedged" }));
    const agents = c.agents.flatMap((a, i) => (i ? [", ", link(a.href, a.label)] : [link(a.href, a.label)]));
    parts.push(" ", el("span", { class: "summary", text: c.summary }), el("span", { class: "said-by" }, ["Said by "].concat(agents)));
    return el("li", {}, parts);
  }
  const claimList = (claims) => el("ul", { class: "claims" }, claims.map(claimItem));

  function showDetails(ele) {
    const d = ele.data();
    const title = document.getElementById("details-title");
    const body = document.getElementById("details-body");
    body.replaceChildren();
    if (ele.isNode()) {
      title.replaceChildren(link(d.href, d.label));
      const legend = document.querySelector(".swatch[data-category='" + d.category + "']");
      body.append(el("p", { class: "muted", text: (legend ? legend.parentElement.textContent : d.category) +
        (d.begin ? " · from " + d.begin : "") + (d.end ? " · until " + d.end : "") }));
      const links = ele.connectedEdges().filter((e) => e.style("display") !== "none");
      body.append(el("ul", { class: "links" }, links.map((e) => {
        const other = e.source().id() === ele.id() ? e.target() : e.source();
        const out = e.source().id() === ele.id();
        return el("li", {}, [el("span", { class: "dir", text: out ? "→ " : "← " }), link(e.data("href"), e.data("kindLabel")), " ",
          link(other.data("href"), other.data("label")), el("span", { class: "when", text: " " + e.data("when") })]);
      })));
      body.append(el("p", {}, [link(d.href, "Open the page of " + d.label + " →", "open")]));
    } else {
      title.replaceChildren(link(d.href, d.label));
      body.append(el("p", { class: "muted" }, [link(ele.source().data("href"), ele.source().data("label")), " → " + d.kindLabel + " → ",
        link(ele.target().data("href"), ele.target().data("label")), " · " + d.when]));
      body.append(claimList(d.claims));
      body.append(el("p", {}, [link(d.href, "Open the page of this relationship →", "open")]));
    }
    details.hidden = false;
  }
  function hideDetails() { details.hidden = true; }

  cy.on("tap", "node, edge", (evt) => {
    cy.elements().unselect(); evt.target.select(); showDetails(evt.target);
    const near = evt.target.isNode() ? evt.target.closedNeighborhood() : evt.target.connectedNodes().union(evt.target);
    cy.elements().addClass("faded").removeClass("labelled"); near.removeClass("faded");
    near.edges().addClass("labelled");
  });
  cy.on("dbltap", "node, edge", (evt) => { const href = evt.target.data("href"); if (href) window.location.href = href; });
  cy.on("tap", (evt) => { if (evt.target === cy) { cy.elements().removeClass("faded labelled"); hideDetails(); } });
  cy.on("mouseover", "node, edge", () => { box.style.cursor = "pointer"; });
  cy.on("mouseout", "node, edge", () => { box.style.cursor = ""; });
  cy.on("mouseover", "edge", (evt) => { evt.target.addClass("labelled"); });
  cy.on("mouseout", "edge", (evt) => {
    const e = evt.target;
    if (!e.selected() && !e.connectedNodes().some((n) => n.selected())) e.removeClass("labelled");
  });

  // --- controls -----------------------------------------------------------------------------------
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(apply, 120); };
  if (yearInput) {
    yearInput.addEventListener("input", () => { yearOut.textContent = yearInput.value; later(); });
    yearInput.addEventListener("change", () => { yearOut.textContent = yearInput.value; apply(); });
  }
  form.querySelectorAll("input[name=status], input[name=undated]").forEach((i) => i.addEventListener("change", apply));
  form.addEventListener("submit", (evt) => { evt.preventDefault(); apply(); });

  const all = new URLSearchParams({ status: "all" });
  window.nexusNetwork = {
    cy: cy,
    ready: getJson(all).then((data) => {
      cy.add(elements(data));
      layout();
      return apply();
    }).then(() => { cy.fit(cy.elements(":visible"), 30); }),
    shownNodes: () => cy.nodes().filter((n) => n.style("display") !== "none").length,
    shownEdges: () => cy.edges().filter((e) => e.style("display") !== "none").length,
  };
})();
