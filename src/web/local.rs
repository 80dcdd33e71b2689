//! [`Local`]: a lazily made value for the module's life, the `no_std` build's `thread_local!`.

use ::core::cell::OnceCell;

#[cfg(target_feature = "atomics")]
compile_error!("`Local` relies on the module running on one thread (no wasm atomics)");

/// A value made on first use by `init` and kept; only ever touched by the module's one thread.
pub struct Local<T: 'static> {
    cell: OnceCell<T>,
    init: fn() -> T,
}

// SAFETY: without wasm atomics the module has one thread (checked above), so nothing is shared.
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    /// A value `init` makes on first use.
    pub const fn new(init: fn() -> T) -> Local<T> {
        Local { cell: OnceCell::new(), init }
    }

    /// Runs `f` on the value, making it first if needed.
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        f(self.cell.get_or_init(self.init))
    }
}
