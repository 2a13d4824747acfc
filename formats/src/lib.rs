//! Model file formats, read and written by edgebench itself: GGUF (header
//! checks before native code sees a file, and a streaming writer) and ONNX
//! (hand-declared protobuf messages and checks of a graph and its external
//! data). Pure parsers and writers with no engine or native code, so they
//! build fast and alone (fuzz targets need that).
#![deny(missing_docs)]

pub mod gguf;
pub mod onnx_model;
