// The DOM mirror's key test script: thousands of timed mutations of every kind (inserts,
// removals, moves, attributes set and removed, text and comment changes, innerHTML/textContent,
// split text nodes, CSSOM style changes) on the page's #root, then window.__mutationsDone. Both
// mirrors must end equal to the page's outerHTML.
#pragma once

#include <cstddef>
#include <string>

namespace janus::test {

/// With `whitespace_text`, some texts are whitespace-only (Chromium's mirror keeps them).
/// Without, no whitespace-only text node ever appears: Firefox's walker hides those (see
/// firefox_dom.hpp), so its mirror could not match outerHTML.
inline std::string mutation_burst_js(bool whitespace_text) {
  std::string js = R"JS(
(function () {
  let seed = 20261121;
  function rnd(n) { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; }
  const root = document.getElementById('root');
  const tags = ['div', 'span', 'p', 'b', 'i', 'ul', 'li', 'section', 'img', 'br', 'input', 'em', 'a'];
  const voids = new Set(['IMG', 'BR', 'INPUT']);
  const texts = TEXTS;
  const attrs = ['data-k', 'title', 'class', 'id', 'href', 'style'];
  function elements() { return Array.from(root.querySelectorAll('*')); }
  function anyElement() { const a = elements(); return a.length && rnd(5) ? a[rnd(a.length)] : root; }
  function container() { let e = anyElement(); while (voids.has(e.tagName)) e = e.parentNode; return e; }
  function textNodes() {
    const out = []; const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_COMMENT);
    while (w.nextNode()) out.push(w.currentNode);
    return out;
  }
  function make(depth) {
    const t = tags[rnd(tags.length)];
    const el = document.createElement(t);
    if (rnd(2)) el.setAttribute(attrs[rnd(attrs.length)], texts[rnd(texts.length)]);
    if (!voids.has(el.tagName)) {
      const n = rnd(depth > 0 ? 4 : 2);
      for (let i = 0; i < n; i++) {
        const k = rnd(6);
        if (k < 2) el.appendChild(document.createTextNode(texts[rnd(texts.length)]));
        else if (k == 2) el.appendChild(document.createComment('c' + rnd(100)));
        else if (depth > 0) el.appendChild(make(depth - 1));
      }
    }
    return el;
  }
  let steps = 0;
  const total = 4000;
  function step() {
    for (let k = 0; k < 40 && steps < total; k++, steps++) {
      const count = elements().length;
      let op = rnd(11);
      if (count > 300 && op < 3) op = 3;
      switch (op) {
        case 0: case 1: case 2: {
          const p = container();
          const kids = p.childNodes;
          p.insertBefore(make(2), kids[rnd(kids.length + 1)] || null);
          break;
        }
        case 3: {
          const e = anyElement();
          if (e !== root) e.remove();
          break;
        }
        case 4: {
          const n = anyElement(); const p = container();
          if (n !== root && !n.contains(p)) p.insertBefore(n, p.firstChild && rnd(2) ? p.firstChild : null);
          break;
        }
        case 5: {
          const e = anyElement();
          e.setAttribute(attrs[rnd(attrs.length)], texts[rnd(texts.length)] + rnd(1000));
          break;
        }
        case 6: {
          const e = anyElement();
          if (e.attributes.length) e.removeAttribute(e.attributes[rnd(e.attributes.length)].name);
          break;
        }
        case 7: {
          const t = textNodes();
          if (t.length) t[rnd(t.length)].data = texts[rnd(texts.length)] + rnd(1000);
          break;
        }
        case 8: {
          const e = container();
          if (e === root) break;
          if (rnd(2)) e.textContent = texts[rnd(texts.length)];
          else e.innerHTML = '<i>in</i> ner <b title="t&quot;">html</b><!--x-->';
          break;
        }
        case 9: {
          const e = container();
          e.appendChild(document.createTextNode(texts[rnd(texts.length)]));
          const t = textNodes().filter(SPLITTABLE);
          if (t.length) t[rnd(t.length)].splitText(1);
          break;
        }
        case 10: {
          const e = anyElement();
          if (e !== root) e.style.setProperty(['color', 'margin-left', 'opacity'][rnd(3)], ['red', '3px', '0.5'][rnd(3)]);
          break;
        }
      }
    }
    if (steps < total) setTimeout(step, rnd(3));
    else window.__mutationsDone = true;
  }
  setTimeout(step, 20);
})();
)JS";
  auto put = [&js](const std::string& mark, const std::string& with) { js.replace(js.find(mark), mark.size(), with); };
  put("TEXTS", whitespace_text
                   ? R"(['plain', 'a & b', '<tag>', 'quote " and \'', 'nbsp\u00a0here', 'x > y', ' ', '\n  '])"
                   : R"(['plain', 'a & b', '<tag>', 'quote " and \'', 'nbsp\u00a0here', 'x > y', 'é ü', 'z'])");
  // Never split off a whitespace-only piece when there must be none.
  put("SPLITTABLE", whitespace_text ? R"(n => n.nodeType === 3 && n.data.length > 2)"
                                    : R"(n => n.nodeType === 3 && n.data.length > 2 && !/\s/.test(n.data[0]) &&
                                            /\S/.test(n.data.slice(1)))");
  return js;
}

/// Where a mirror's serialization and the browser's part, with some context, for a readable failure.
inline std::string first_difference(const std::string& mirror, const std::string& browser) {
  std::size_t i = 0;
  while (i < mirror.size() && i < browser.size() && mirror[i] == browser[i]) ++i;
  if (i == mirror.size() && i == browser.size()) return "identical";
  const std::size_t from = i > 80 ? i - 80 : 0;
  return "at " + std::to_string(i) + ":\n  mirror:  " + mirror.substr(from, 200) + "\n  browser: " +
         browser.substr(from, 200);
}

}  // namespace janus::test
