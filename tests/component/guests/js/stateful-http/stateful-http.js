// Keeps state between requests: a module-level counter and an array that
// grows with every request. Under `weft up` every request must see a fresh
// instance (count=1, kept=1): weft restores the JavaScript engine's whole
// memory (tens of MB, StarlingMonkey's heap) between requests rather than
// instantiating anew. Built against hello-http's WIT.
let count = 0;
const kept = [];
addEventListener('fetch', (event) => {
  count += 1;
  kept.push('x'.repeat(1000));
  event.respondWith(
    new Response(`count=${count} kept=${kept.length}`, {
      status: 200,
      headers: { 'content-type': 'text/plain' },
    }),
  );
});
