// Registers the service worker (sw.js) that keeps the built JS/CSS between visits. A file, not an
// inline script: the page's Content-Security-Policy allows scripts from this origin only.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
