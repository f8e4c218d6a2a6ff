//! The page's end of a worker: posts [`ToWorker`] messages (queued until the worker says it
//! is ready) and hands every [`FromWorker`] to a callback.

use super::wire;
use crate::proto::{FromWorker, ToWorker, VERSION};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, MessageEvent, Worker, WorkerOptions, WorkerType};

thread_local! {
    /// The attachment of the message being handled (an export's bytes).
    static EXTRA: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// Takes the attachment of the message being handled.
pub fn take_attachment() -> Option<JsValue> {
    EXTRA.with(|e| e.borrow_mut().take())
}

/// Script that loads the worker's wasm (next to index.html).
const WORKER_URL: &str = "./worker-boot.js";

struct Inner {
    ready: bool,
    queue: Vec<JsValue>,
}

/// A running worker.
pub struct Bridge {
    worker: Worker,
    inner: Rc<RefCell<Inner>>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
}

impl Bridge {
    /// Starts a worker; `on` receives its messages.
    pub fn new(on: impl Fn(FromWorker) + 'static) -> Result<Bridge, JsValue> {
        let opts = WorkerOptions::new();
        opts.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(WORKER_URL, &opts)?;
        let inner = Rc::new(RefCell::new(Inner {
            ready: false,
            queue: Vec::new(),
        }));
        let (w2, i2) = (worker.clone(), inner.clone());
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            // [message, attachment] when the worker sends bytes along (exports).
            let (msg, extra) = match data.dyn_ref::<js_sys::Array>() {
                Some(a) => (a.get(0), Some(a.get(1))),
                None => (data, None),
            };
            if let Some(x) = extra {
                EXTRA.with(|e| *e.borrow_mut() = Some(x));
            }
            match wire::decode::<FromWorker>(&msg) {
                Ok(FromWorker::Ready { version }) => {
                    if version != VERSION {
                        on(FromWorker::Error { message: format!("the worker speaks protocol {version}, the page {VERSION}: reload the page") });
                        return;
                    }
                    let queued = {
                        let mut i = i2.borrow_mut();
                        i.ready = true;
                        std::mem::take(&mut i.queue)
                    };
                    for m in queued {
                        let _ = w2.post_message(&m);
                    }
                }
                Ok(m) => on(m),
                Err(e) => on(FromWorker::Error {
                    message: format!("bad message from the worker: {e}"),
                }),
            }
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        Ok(Bridge {
            worker,
            inner,
            _onmessage: onmessage,
        })
    }

    fn post(&self, v: JsValue) {
        let mut i = self.inner.borrow_mut();
        if i.ready {
            let _ = self.worker.post_message(&v);
        } else {
            i.queue.push(v);
        }
    }

    /// Sends a message.
    pub fn send(&self, msg: &ToWorker) {
        if let Ok(v) = wire::encode(msg) {
            self.post(js_sys::Array::of1(&v).into());
        }
    }

    /// Sends a message with the file beside it (a structured clone of the `File` handle,
    /// not of its bytes).
    pub fn send_file(&self, msg: &ToWorker, file: &File) {
        if let Ok(v) = wire::encode(msg) {
            self.post(js_sys::Array::of2(&v, file).into());
        }
    }

    /// Posts a message with several files alongside (`[message, file, file, …]`).
    pub fn send_files(&self, msg: &ToWorker, files: &[File]) {
        if let Ok(v) = wire::encode(msg) {
            let a = js_sys::Array::of1(&v);
            for f in files {
                a.push(f);
            }
            self.post(a.into());
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
