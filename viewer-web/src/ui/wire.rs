//! Message encoding between page and worker: serde through `serde-wasm-bindgen`, with 64-bit
//! integers as BigInt (nanosecond time stamps do not fit in a JS number).

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A message as a JS value.
pub fn encode<T: Serialize>(msg: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    msg.serialize(
        &serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true),
    )
}

/// A message from a JS value.
pub fn decode<T: DeserializeOwned>(v: &JsValue) -> Result<T, serde_wasm_bindgen::Error> {
    serde_wasm_bindgen::from_value(v.clone())
}
