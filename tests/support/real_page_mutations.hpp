// The mutation generator for real pages (tests/client/real_pages_test.cpp): a seeded script that
// makes about 1,500 changes of every kind the DOM mirror must follow, anywhere in a page's body, in
// timed batches, then sets window.__mutationsDone. Changes it covers: insert, remove, move (a
// subtree into another), attributes added / changed / removed in random orders (setAttribute,
// classList, style.setProperty, toggleAttribute, removeAttribute), text data changes (data,
// appendData, deleteData, splitText, normalize), innerHTML, insertAdjacentHTML, textContent,
// replaceWith, replaceChild, comments, whitespace-only text nodes, <template> content, SVG with
// namespaced attributes (xlink:href), shadow roots (never part of outerHTML), text and attribute
// values over 100,000 characters, non-ASCII text and entities.
//
// It runs through the protocol's evaluate, which the page's Content-Security-Policy does not
// restrict, while the page's own scripts are blocked by it: a run is the same every time.
#pragma once

#include <string>

namespace janus::test {

/// `seed` picks the sequence (the test uses one per page); `changes` how many mutations in all;
/// `ops`, when not empty, a JavaScript array of the indexes of the only kinds of change to make
/// (for finding which kind a mirror gets wrong), e.g. "[0,3]".
inline std::string real_page_mutations_js(unsigned seed, int changes, const std::string& ops) {
  std::string js = R"JS(
(function () {
  let seed = SEED;
  function rnd(n) { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; }
  const body = document.body || document.documentElement;
  const XLINK = 'http://www.w3.org/1999/xlink', SVG = 'http://www.w3.org/2000/svg';
  const voids = new Set(['AREA', 'BASE', 'BR', 'COL', 'EMBED', 'HR', 'IMG', 'INPUT', 'LINK', 'META', 'SOURCE',
                         'TRACK', 'WBR', 'TEMPLATE']);
  // Elements whose children serialize as raw text: a child element inserted there would
  // serialize as markup that parses back differently, which is no mirror's business.
  const rawText = new Set(['SCRIPT', 'STYLE', 'TEXTAREA', 'TITLE', 'XMP', 'IFRAME', 'NOEMBED', 'NOFRAMES',
                           'NOSCRIPT', 'PLAINTEXT']);
  const texts = ['plain', ' ', '\n  ', '\t', 'caf\u00e9 \u2014 \u65e5\u672c\u8a9e \ud83d\ude00', 'a < b & c > d',
                 '"quoted" \'single\'', '&amp; &lt; literal', '\u00a0nbsp\u00a0', ''];
  const long = 'L'.repeat(100001) + ' end of a long value \u00e9';
  const attrNames = ['data-k', 'title', 'class', 'id', 'href', 'lang', 'aria-label', 'data-x', 'hidden'];
  const tags = ['div', 'span', 'p', 'b', 'i', 'ul', 'li', 'section', 'img', 'br', 'em', 'a', 'table', 'td'];
  let all = [];
  function refresh() { all = Array.from(body.querySelectorAll('*')); all.push(body); }
  function anyElement() { return all.length ? all[rnd(all.length)] : body; }
  function isLive(n) { return n && n.isConnected && body.contains(n); }
  function container() {
    for (let i = 0; i < 20; i++) {
      const e = anyElement();
      if (isLive(e) && !voids.has(e.tagName) && !rawText.has(e.tagName)) return e;
    }
    return body;
  }
  function anyNode(filter) {
    const out = [];
    const w = document.createTreeWalker(body, filter);
    while (w.nextNode() && out.length < 4000) out.push(w.currentNode);
    return out.length ? out[rnd(out.length)] : null;
  }
  function text() { return rnd(50) === 0 ? long : texts[rnd(texts.length)]; }
  function make(depth) {
    const el = document.createElement(tags[rnd(tags.length)]);
    if (rnd(2)) el.setAttribute(attrNames[rnd(attrNames.length)], text());
    if (!voids.has(el.tagName)) {
      for (let i = rnd(depth > 0 ? 4 : 2); i > 0; i--) {
        const k = rnd(6);
        if (k < 2) el.appendChild(document.createTextNode(text()));
        else if (k === 2) el.appendChild(document.createComment('c' + rnd(100)));
        else if (depth > 0) el.appendChild(make(depth - 1));
      }
    }
    return el;
  }
  function svg() {
    const s = document.createElementNS(SVG, 'svg');
    const u = document.createElementNS(SVG, 'use');
    u.setAttributeNS(XLINK, 'xlink:href', '#s' + rnd(10));
    s.appendChild(u);
    const t = document.createElementNS(SVG, 'text');
    t.textContent = text();
    s.appendChild(t);
    return s;
  }
  function at(p) { const kids = p.childNodes; return kids[rnd(kids.length + 1)] || null; }
  const ops = [
    () => { const p = container(); p.insertBefore(make(2), at(p)); },                        // insert
    () => { const e = anyElement(); if (e !== body && isLive(e)) e.remove(); },                // remove
    () => { const e = anyElement(), p = container();                                          // move a subtree
            if (e !== body && isLive(e) && !e.contains(p)) p.insertBefore(e, at(p)); },
    () => { const e = anyElement(); e.setAttribute(attrNames[rnd(attrNames.length)], text()); },
    () => { const e = anyElement(); if (e.attributes.length) e.removeAttribute(e.attributes[rnd(e.attributes.length)].name); },
    () => { const e = anyElement(); e.classList.toggle('k' + rnd(5)); },
    () => { const e = anyElement(); if (e.style) e.style.setProperty(['color', 'margin', 'display'][rnd(3)], ['red', '1px', 'block', ''][rnd(4)]); },
    () => { const e = anyElement(); e.toggleAttribute('data-flag'); },
    () => { const t = anyNode(NodeFilter.SHOW_TEXT); if (t) { const k = rnd(4);                // text data
              if (k === 0) t.data = text(); else if (k === 1) t.appendData(text());
              else if (k === 2) t.deleteData(0, rnd(t.length + 1)); else if (t.length > 1) t.splitText(rnd(t.length)); } },
    () => { const e = container(); e.normalize(); },
    () => { const e = container(); if (e !== body) e.innerHTML = '<i>in</i>' + ['x', ' ', '&amp;', '<!--c-->'][rnd(4)] + '<b title="t &quot;q&quot;">b</b>'; },
    () => { const e = anyElement(); if (e !== body && isLive(e))
              e.insertAdjacentHTML(['beforebegin', 'afterbegin', 'beforeend', 'afterend'][rnd(4)], '<span data-adj="' + rnd(9) + '">adj</span> '); },
    () => { const e = container(); if (e !== body) e.textContent = text(); },
    () => { const e = anyElement(); if (e !== body && isLive(e)) e.replaceWith(make(1)); },
    () => { const p = container(); if (p.firstChild) p.replaceChild(document.createTextNode(text()), p.firstChild); },
    () => { const p = container(); p.insertBefore(document.createComment(' comment ' + rnd(50) + ' '), at(p)); },
    () => { const c = anyNode(NodeFilter.SHOW_COMMENT); if (c) c.data = 'changed ' + rnd(9); },
    () => { const p = container(); p.insertBefore(document.createTextNode(['  ', '\n', '\n\t\t'][rnd(3)]), at(p)); },
    () => { const p = container(); const t = document.createElement('template');               // template content
            t.innerHTML = '<p>tpl ' + rnd(9) + '</p>'; p.insertBefore(t, at(p)); },
    () => { const p = container(); p.insertBefore(svg(), at(p)); },                            // SVG, xlink:href
    () => { const p = container(); const host = document.createElement('div');                  // shadow root
            host.setAttribute('data-host', '' + rnd(9));
            host.attachShadow({mode: 'open'}).innerHTML = '<span>shadow</span>'; p.insertBefore(host, at(p)); },
  ];
  const allowed = OPS || ops.map((_, i) => i);
  let done = 0;
  const total = TOTAL;
  function step() {
    refresh();
    for (let k = 0; k < 30 && done < total; k++, done++) {
      try { ops[allowed[rnd(allowed.length)]](); } catch (e) { /* a move into its own subtree and the like: skipped */ }
      if (k % 10 === 9) refresh();
    }
    if (done < total) setTimeout(step, rnd(3) === 0 ? 0 : 4);
    else window.__mutationsDone = true;
  }
  window.__mutationsDone = false;
  setTimeout(step, 0);
  return true;
})()
)JS";
  auto put = [&js](const std::string& key, const std::string& value) {
    for (auto at = js.find(key); at != std::string::npos; at = js.find(key, at + value.size())) js.replace(at, key.size(), value);
  };
  put("SEED", std::to_string(seed));
  put("TOTAL", std::to_string(changes));
  put("OPS", ops.empty() ? "null" : ops);
  return js;
}

}  // namespace janus::test
