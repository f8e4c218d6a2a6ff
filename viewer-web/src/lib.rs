//! paircap's browser viewer.
//!
//! - [`engine`]: the capture engine the worker runs (index, rows, details, filter, sort),
//!   plain Rust, tested natively.
//! - [`proto`]: messages between the page and the worker.
//! - [`model`]: the page's state and its reducer (pure, tested natively).
//! - `ui` (wasm32 only): Yew components; `bin/app.rs` and `bin/worker.rs` are the entry points.
#![forbid(unsafe_code)]

pub mod engine;
pub mod model;
pub mod pair;
pub mod proto;
#[cfg(target_arch = "wasm32")]
pub mod ui;
