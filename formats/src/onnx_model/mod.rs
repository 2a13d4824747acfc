//! ONNX model files: the protobuf messages (declared by hand with prost, no
//! `protoc`) and [`inspect`], which reads a `.onnx` file's header, graph
//! signature and initializer table, and checks every external-data reference
//! before any runtime is handed the file.

mod inspect;
pub mod proto;

pub use inspect::{
    Dim, InitializerInfo, OnnxInfo, OnnxModelError, OpsetImport, Storage, ValueInfo, elements,
    inspect, inspect_bytes,
};
