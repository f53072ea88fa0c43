// Answers every request with 200 "hello from JS", a fixed header, and a
// header that echoes the method and path, so both directions of the
// wasi:http types are exercised. StarlingMonkey's fetch-event binds this
// listener to the world's wasi:http/incoming-handler export.
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  event.respondWith(
    new Response('hello from JS', {
      status: 200,
      headers: {
        'content-type': 'text/plain',
        'x-weft-fixture': 'hello-http',
        'x-weft-request': `${event.request.method} ${url.pathname}`,
      },
    }),
  );
});
