//! Per-line features (to be ported from src/zhengwen/features.py).

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
