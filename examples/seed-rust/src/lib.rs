use wasm_bindgen::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct ApiResponse {
    status: String,
    data: String,
    timestamp: u64,
}

#[wasm_bindgen]
pub fn process_request(input: &str) -> String {
    let response = ApiResponse {
        status: "success".to_string(),
        data: input.to_uppercase(),
        timestamp: 1640995200,
    };
    serde_json::to_string(&response).unwrap()
}

#[wasm_bindgen]
pub fn safe_operation(input: &str) -> Result<String, JsValue> {
    if input.is_empty() {
        return Err(JsValue::from_str("Input cannot be empty"));
    }
    Ok(format!("Processed: {}", input))
}

#[wasm_bindgen]
pub fn edge_handler(request: &str) -> String {
    format!("Edge processed: {}", request)
}
