#include "firefox_dom_agent.hpp"

namespace janus::client::detail {

// Why a page-side agent and not the inspector's walker: the walker hides whitespace-only text
// nodes that take no room in the layout (every real page has them, between block tags), gives
// them no actor when asked, and so never reports a change of their data; it also reads one parent
// per request. The agent sees the DOM as outerHTML does, serializes the whole document in one
// answer, and hands over what changed since the last pull, read at the pull's instant (so the
// mirror is always a state the page was really in).
//
// What the agent keeps (in a closure under a symbol-keyed, non-enumerable property of the window):
//   ids    WeakMap node -> id (1, 2, ... per agent; the mirror uses them as its node ids)
//   sent   WeakSet of nodes the mirror has (sent whole, and not inserted again since)
//   dirty  parents whose children changed, elements whose attributes changed, character data
//          whose data changed, and nodes inserted since the last pull (a node taken out and put
//          back may have changed while out, unobserved: it is sent whole again)
// Template contents are other documents' fragments: each is observed on its own, and `hosts`
// maps it back to its template so that "is it in the document" can be answered for its nodes.
//
// Wire format (arrays, flat, so that no JSON nests deeper than a few levels whatever the DOM):
//   a node:   [id, parent, 1, nodeName, localName, [name, value, ...]]   element
//             [id, parent, 3|4|7|8, nodeName, data]                       character data
//             [id, parent, 10, name, publicId, systemId]                  doctype
//             [id, 0, 9]                                                  the document
//             [id, template, 11]                                          a template's content
//   nodes come in document order, a parent before its children, children in order.
//   snapshot: {"n": [node...]}
//   pull:     {"n": [node...] (new ones, their parents in "c" or earlier in "n"),
//              "c": [[parent, [child id...]]...], "a": [[id, [name, value, ...]]...],
//              "v": [[id, data]...]}     (in this order: the mirror reads the text once, forward)
const char* const firefox_dom_agent_source = R"JS(
const key = Symbol.for('janus.dom.mirror');
const old = window[key];
if (old) old.stop();
const doc = document;
const ids = new WeakMap();
let sent = new WeakSet();
const hosts = new WeakMap();
let next = 1;
let childDirty = new Set(), attrDirty = new Set(), dataDirty = new Set(), added = new Set();
let waiter = null;
const opts = {childList: true, attributes: true, characterData: true, subtree: true};
const idOf = (n) => { let i = ids.get(n); if (i === undefined) { i = next++; ids.set(n, i); } return i; };
const note = (records) => {
  for (const r of records) {
    if (r.type === 'childList') { childDirty.add(r.target); for (const n of r.addedNodes) added.add(n); }
    else if (r.type === 'attributes') attrDirty.add(r.target);
    else dataDirty.add(r.target);
  }
};
const wake = () => { if (waiter) { const w = waiter; waiter = null; w(true); } };
const observer = new MutationObserver((records) => { note(records); wake(); });
const attrsOf = (e) => { const out = []; for (const a of e.attributes) out.push(a.name, a.value); return out; };
const inDocument = (n) => {
  for (;;) {
    const r = n.getRootNode();
    if (r === doc) return true;
    const host = hosts.get(r);
    if (!host) return false;
    n = host;
  }
};
const isTemplate = (e) => e.localName === 'template' && e.namespaceURI === 'http://www.w3.org/1999/xhtml';
// Appends `n` and everything under it to `out`, parent first; iterative, as pages can be deep.
const serialize = (root, parentId, out) => {
  const stack = [[root, parentId]];
  while (stack.length) {
    const [n, p] = stack.pop();
    const id = idOf(n);
    sent.add(n);
    added.delete(n);
    const t = n.nodeType;
    const later = [];
    if (t === 1) {
      out.push([id, p, 1, n.nodeName, n.localName, attrsOf(n)]);
      for (let k = n.firstChild; k; k = k.nextSibling) later.push([k, id]);
      if (isTemplate(n)) {
        const f = n.content;
        hosts.set(f, n);
        observer.observe(f, opts);
        out.push([idOf(f), id, 11]);
        sent.add(f);
        for (let k = f.firstChild; k; k = k.nextSibling) later.push([k, idOf(f)]);
      }
    } else if (t === 3 || t === 4 || t === 7 || t === 8) {
      out.push([id, p, t, n.nodeName, n.data]);
    } else if (t === 10) {
      out.push([id, p, 10, n.name, n.publicId, n.systemId]);
    } else if (t === 9) {
      out.push([id, 0, 9]);
      for (let k = n.firstChild; k; k = k.nextSibling) later.push([k, id]);
    } else {
      continue;
    }
    for (let i = later.length - 1; i >= 0; --i) stack.push(later[i]);
  }
};
const agent = {
  doc,
  stop() { observer.disconnect(); wake(); },
  snapshot() {
    observer.takeRecords();
    sent = new WeakSet();
    childDirty = new Set(); attrDirty = new Set(); dataDirty = new Set(); added = new Set();
    const n = [];
    serialize(doc, 0, n);
    return {n};
  },
  dirty() { return childDirty.size + attrDirty.size + dataDirty.size > 0; },
  // Resolves true at once or at the next change, false after `ms` without one.
  wait(ms) {
    note(observer.takeRecords());
    if (agent.dirty()) return Promise.resolve(true);
    if (waiter) waiter(false);
    return new Promise((resolve) => { waiter = resolve; setTimeout(() => { if (waiter === resolve) { waiter = null; resolve(false); } }, ms); });
  },
  pull() {
    note(observer.takeRecords());
    const c = [], n = [], a = [], v = [];
    // `added` loses each node serialize() sends, so none is sent twice in one pull.
    const parents = childDirty, attrs = attrDirty, datas = dataDirty;
    childDirty = new Set(); attrDirty = new Set(); dataDirty = new Set();
    for (const p of parents) {
      // A parent itself inserted since the last pull is sent whole under its own parent.
      if (!sent.has(p) || added.has(p) || !inDocument(p)) continue;
      const kids = [];
      for (let k = p.firstChild; k; k = k.nextSibling) {
        if (!sent.has(k) || added.has(k)) serialize(k, idOf(p), n);
        kids.push(idOf(k));
      }
      c.push([idOf(p), kids]);
    }
    added = new Set();
    const now = new Set();
    for (const e of n) now.add(e[0]);
    for (const e of attrs)
      if (sent.has(e) && !now.has(idOf(e)) && inDocument(e)) a.push([idOf(e), attrsOf(e)]);
    for (const t of datas)
      if (sent.has(t) && !now.has(idOf(t)) && inDocument(t)) v.push([idOf(t), t.data]);
    return {n, c, a, v};
  },
  id(node) { return node ? (ids.get(node) || 0) : 0; },
  query(sel, rootId, all) {
    const root = rootId ? agent.find(rootId) : doc;
    if (!root) return {stale: true};
    if (all) return {ids: Array.from(root.querySelectorAll(sel), (e) => agent.id(e))};
    return {ids: [agent.id(root.querySelector(sel))]};
  },
  // The node of an id the mirror has: a walk, as ids are kept in a WeakMap only (nodes are
  // found rarely: queries under a root, outerHTML and style lookups of one node).
  find(id) {
    const w = doc.createTreeWalker(doc, NodeFilter.SHOW_ALL);
    for (let n = w.currentNode; n; n = w.nextNode()) {
      if (ids.get(n) === id) return n;
      if (n.nodeType === 1 && isTemplate(n)) {
        const f = n.content;
        if (ids.get(f) === id) return f;
        const tw = doc.createTreeWalker(f, NodeFilter.SHOW_ALL);
        for (let m = tw.nextNode(); m; m = tw.nextNode()) if (ids.get(m) === id) return m;
      }
    }
    return null;
  },
};
observer.observe(doc, opts);
Object.defineProperty(window, key, {value: agent, configurable: true, enumerable: false, writable: false});
return agent.snapshot();
)JS";

}  // namespace janus::client::detail
