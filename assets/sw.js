// The app's service worker: keeps the built JavaScript and CSS so a repeat visit on a slow phone
// network does not download them again. Only /assets/ files are kept: Vite names each one after
// its content (entry.client-B8-vYQG1.js), so a deploy brings new names and a kept file is never
// stale. Pages, events, files and everything else always come from the network: a page is never
// served from here, so nothing is stale after a deploy.
const CACHE = "selfservice-built-v1";
const MAX_ENTRIES = 400;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function trim(cache) {
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) await cache.delete(old);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith("/assets/")) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const kept = await cache.match(request);
      if (kept) return kept;
      const response = await fetch(request);
      if (response.ok && response.type === "basic") {
        cache.put(request, response.clone()).then(() => trim(cache));
      }
      return response;
    }),
  );
});
