// Measures a report page once its charts are drawn (see browser.py), then acts like a reader.
(function () {
  function box(n) {
    if (!n) return null;
    var r = n.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  }
  function order(node) {
    // x of each character of the element's text, in logical order.
    var xs = [], walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT), t;
    while ((t = walker.nextNode())) {
      for (var i = 0; i < t.length; i++) {
        var r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
        var b = r.getBoundingClientRect(); if (b.width > 0) xs.push(b.left);
      }
    }
    return xs;
  }
  function measure() {
    var out = {innerWidth: innerWidth, scrollWidth: document.documentElement.scrollWidth,
               bodyScrollWidth: document.body.scrollWidth,
               height: document.documentElement.scrollHeight, charts: {}, order: {}};
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      var ticks = gd.querySelectorAll(".xtick text");
      out.charts[gd.id] = {
        div: box(gd), svg: box(gd.querySelector(".main-svg")),
        title: box(gd.querySelector(".gtitle")), legend: box(gd.querySelector(".legend")),
        plot: box(gd.querySelector(".draglayer .nsewdrag")),
        modebar: box(gd.querySelector(".modebar")),
        notes: Array.prototype.map.call(gd.querySelectorAll(".annotation"), box),
        xrange: gd._fullLayout && gd._fullLayout.xaxis ? gd._fullLayout.xaxis.range : null,
        lastTick: ticks.length ? box(ticks[ticks.length - 1]) : null,
        lastTickText: ticks.length ? ticks[ticks.length - 1].textContent : null};
    });
    document.querySelectorAll("[data-probe-order]").forEach(function (n) {
      out.order[n.getAttribute("data-probe-order")] = order(n);
    });
    return out;
  }
  function interact(out) {
    // What a reader does: click a point of the counts chart, open "other" in the share chart.
    var gd = document.getElementById("chart-counts"), jax = null;
    if (gd && gd.data && typeof gd.emit === "function") {
      gd.data.forEach(function (t) { if (t.meta && t.meta.label === "jax" && t.x.length) jax = t; });
      if (jax) {
        var x = jax.x[jax.x.length - 1];
        gd.emit("plotly_click", {points: [{data: jax, x: x}]});
        var rows = document.querySelectorAll("#explorer-table tbody tr");
        out.click = {x: x, framework: document.getElementById("f-framework").selectedOptions[0].textContent,
                     period: document.getElementById("f-period").value,
                     count: document.getElementById("explorer-count").textContent,
                     labels: Array.prototype.map.call(rows, function (r) { return r.children[3].textContent; }),
                     dates: Array.prototype.map.call(rows, function (r) { return r.children[0].textContent; })};
      }
    }
    var split = document.getElementById("split-other"), shares = document.getElementById("chart-shares");
    if (split && shares) {
      var shown = function (g) { return shares.data.filter(function (t) {
        return t.meta && t.meta.group === g && t.visible !== false; }).length; };
      out.split = {before: shown("split"), otherBefore: shown("other")};
      split.checked = true; split.dispatchEvent(new Event("change"));
      out.split.after = shown("split"); out.split.otherAfter = shown("other");
    }
    var first = document.querySelector("#explorer-table tbody tr");
    out.explorerRows = document.querySelectorAll("#explorer-table tbody tr").length;
    out.firstRow = first ? first.textContent : null;
  }
  window.addEventListener("load", function () {
    setTimeout(function () {
      var m = measure();
      interact(m);
      var data = JSON.stringify(m);
      if (window.parent !== window) window.parent.postMessage(data, "*");
      else {
        var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = data;
        document.body.appendChild(pre);
      }
    }, 800);
  });
})();
