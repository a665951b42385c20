//! zhengwen's compiled core: the per-page work (features, networks, decode),
//! called from Python as `zhengwen._core`. Python keeps the API, I/O and CLI.

use pyo3::prelude::*;

mod alloc;
pub mod binned;
pub mod decode;
pub mod engine;
pub mod features;
pub mod fold;
pub mod headline;
pub mod html;
pub mod nets;
pub mod reasons;
pub mod stack;

#[global_allocator]
static ALLOCATOR: alloc::Allocator = alloc::Allocator;

/// The extension module `zhengwen._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    features::register(m)?;
    fold::register(m)?;
    nets::register(m)?;
    stack::register(m)?;
    decode::register(m)?;
    headline::register(m)?;
    html::register(m)?;
    engine::register(m)?;
    reasons::register(m)?;
    Ok(())
}
