// The wasm package loads its .wasm with `new URL(..., import.meta.url)`, which Vite serves and
// bundles as an asset; excluding it from dependency pre-bundling keeps that URL intact in dev.
export default {
  optimizeDeps: { exclude: ['kefu-agent'] },
};
