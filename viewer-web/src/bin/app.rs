//! The page: mounts the Yew app (wasm32 only; a no-op natively so `cargo build` works everywhere).
#[cfg(target_arch = "wasm32")]
fn main() {
    viewer_web::ui::start_app();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
