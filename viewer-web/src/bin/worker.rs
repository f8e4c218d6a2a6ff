//! The Web Worker: owns the capture engine and answers the page's messages (wasm32 only).
#[cfg(target_arch = "wasm32")]
fn main() {
    viewer_web::ui::worker::start_worker();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
