// Produces console output, an exception, network traffic and DOM changes for the capture.
console.log('app started', 42, { nested: [1, 2, 3] });
console.warn('a warning');
console.error('an error');
console.table([{ a: 1, b: 'x' }]);
window.appState = { count: 3, items: ['a', 'b'], when: new Date(0), re: /x+/g, map: new Map([[1, 'one']]) };
fetch('data.json').then((r) => r.json()).then((d) => {
  document.getElementById('title').dataset.loaded = String(d.items.length);
});
const xhr = new XMLHttpRequest();
xhr.open('POST', 'echo');
xhr.setRequestHeader('Content-Type', 'application/json');
xhr.send(JSON.stringify({ hello: 'world' }));
const host = document.getElementById('host');
const shadow = host.attachShadow({ mode: 'open' });
shadow.innerHTML = '<p class="in-shadow">shadow content</p>';
setTimeout(() => { throw new Error('uncaught from timer'); }, 0);
Promise.reject(new TypeError('unhandled rejection'));
