//! The ONNX protobuf messages edgebench reads and writes, declared by hand
//! with `prost` (no `protoc`, no build script). Field numbers are those of
//! the official `onnx.proto`; only the fields edgebench needs are declared,
//! and prost skips the others, so files from real exporters (Optimum,
//! onnxruntime-genai) decode.

/// `TensorProto.DataType` values.
pub mod data_type {
    /// `float`.
    pub const FLOAT: i32 = 1;
    /// `uint8`.
    pub const UINT8: i32 = 2;
    /// `int8`.
    pub const INT8: i32 = 3;
    /// `uint16`.
    pub const UINT16: i32 = 4;
    /// `int16`.
    pub const INT16: i32 = 5;
    /// `int32`.
    pub const INT32: i32 = 6;
    /// `int64`.
    pub const INT64: i32 = 7;
    /// `string`.
    pub const STRING: i32 = 8;
    /// `bool`.
    pub const BOOL: i32 = 9;
    /// IEEE half float.
    pub const FLOAT16: i32 = 10;
    /// `double`.
    pub const DOUBLE: i32 = 11;
    /// `uint32`.
    pub const UINT32: i32 = 12;
    /// `uint64`.
    pub const UINT64: i32 = 13;
    /// Complex of two floats.
    pub const COMPLEX64: i32 = 14;
    /// Complex of two doubles.
    pub const COMPLEX128: i32 = 15;
    /// bfloat16.
    pub const BFLOAT16: i32 = 16;
    /// 8-bit float e4m3fn.
    pub const FLOAT8E4M3FN: i32 = 17;
    /// 8-bit float e4m3fnuz.
    pub const FLOAT8E4M3FNUZ: i32 = 18;
    /// 8-bit float e5m2.
    pub const FLOAT8E5M2: i32 = 19;
    /// 8-bit float e5m2fnuz.
    pub const FLOAT8E5M2FNUZ: i32 = 20;
    /// 4-bit unsigned integer.
    pub const UINT4: i32 = 21;
    /// 4-bit signed integer.
    pub const INT4: i32 = 22;
    /// 4-bit float e2m1.
    pub const FLOAT4E2M1: i32 = 23;

    /// The lower-case ONNX name of a data type (`"float"`, `"int64"`), or
    /// `"unknown(N)"`.
    pub fn name(t: i32) -> String {
        let s = match t {
            0 => "undefined",
            FLOAT => "float",
            UINT8 => "uint8",
            INT8 => "int8",
            UINT16 => "uint16",
            INT16 => "int16",
            INT32 => "int32",
            INT64 => "int64",
            STRING => "string",
            BOOL => "bool",
            FLOAT16 => "float16",
            DOUBLE => "double",
            UINT32 => "uint32",
            UINT64 => "uint64",
            COMPLEX64 => "complex64",
            COMPLEX128 => "complex128",
            BFLOAT16 => "bfloat16",
            FLOAT8E4M3FN => "float8e4m3fn",
            FLOAT8E4M3FNUZ => "float8e4m3fnuz",
            FLOAT8E5M2 => "float8e5m2",
            FLOAT8E5M2FNUZ => "float8e5m2fnuz",
            UINT4 => "uint4",
            INT4 => "int4",
            FLOAT4E2M1 => "float4e2m1",
            other => return format!("unknown({other})"),
        };
        s.to_string()
    }

    /// Bits per element of a fixed-width data type (`None` for strings and
    /// unknown types).
    pub fn bits(t: i32) -> Option<u64> {
        Some(match t {
            BOOL | UINT8 | INT8 | FLOAT8E4M3FN | FLOAT8E4M3FNUZ | FLOAT8E5M2 | FLOAT8E5M2FNUZ => 8,
            UINT16 | INT16 | FLOAT16 | BFLOAT16 => 16,
            FLOAT | INT32 | UINT32 => 32,
            INT64 | UINT64 | DOUBLE | COMPLEX64 => 64,
            COMPLEX128 => 128,
            UINT4 | INT4 | FLOAT4E2M1 => 4,
            _ => return None,
        })
    }
}

/// `AttributeProto.AttributeType` values.
pub mod attribute_type {
    /// One float (`f`).
    pub const FLOAT: i32 = 1;
    /// One integer (`i`).
    pub const INT: i32 = 2;
    /// One byte string (`s`).
    pub const STRING: i32 = 3;
    /// One tensor (`t`).
    pub const TENSOR: i32 = 4;
    /// A list of floats (`floats`).
    pub const FLOATS: i32 = 6;
    /// A list of integers (`ints`).
    pub const INTS: i32 = 7;
    /// A list of byte strings (`strings`).
    pub const STRINGS: i32 = 8;
    /// One graph (`g`).
    pub const GRAPH: i32 = 5;
    /// A list of tensors (`tensors`).
    pub const TENSORS: i32 = 9;
    /// A list of graphs (`graphs`).
    pub const GRAPHS: i32 = 10;
    /// One sparse tensor (`sparse_tensor`).
    pub const SPARSE_TENSOR: i32 = 11;
    /// A list of sparse tensors (`sparse_tensors`).
    pub const SPARSE_TENSORS: i32 = 12;
}

/// `TensorProto.DataLocation`: stored in the external data file.
pub const DATA_LOCATION_EXTERNAL: i32 = 1;

/// A model: the top-level message of a `.onnx` file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    /// The IR version.
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    /// The operator sets the graph uses.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
    /// The tool that wrote the file.
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// Its version.
    #[prost(string, tag = "3")]
    pub producer_version: String,
    /// Reverse-DNS model domain.
    #[prost(string, tag = "4")]
    pub domain: String,
    /// Model version.
    #[prost(int64, tag = "5")]
    pub model_version: i64,
    /// Documentation.
    #[prost(string, tag = "6")]
    pub doc_string: String,
    /// The graph.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// Named metadata strings.
    #[prost(message, repeated, tag = "14")]
    pub metadata_props: Vec<StringStringEntryProto>,
    /// Model-local functions (their nodes may hold tensors too).
    #[prost(message, repeated, tag = "25")]
    pub functions: Vec<FunctionProto>,
}

/// A model-local function.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FunctionProto {
    /// The name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The nodes.
    #[prost(message, repeated, tag = "7")]
    pub node: Vec<NodeProto>,
    /// The domain.
    #[prost(string, tag = "10")]
    pub domain: String,
    /// Attributes with default values.
    #[prost(message, repeated, tag = "11")]
    pub attribute_proto: Vec<AttributeProto>,
}

/// A key/value string pair.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StringStringEntryProto {
    /// The key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// The value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// An operator set a model imports.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperatorSetIdProto {
    /// The domain (`""` is `ai.onnx`).
    #[prost(string, tag = "1")]
    pub domain: String,
    /// The opset version.
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// A computation graph.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    /// The nodes, in topological order.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// The graph's name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Constant tensors (weights).
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// Constant sparse tensors.
    #[prost(message, repeated, tag = "15")]
    pub sparse_initializer: Vec<SparseTensorProto>,
    /// Documentation.
    #[prost(string, tag = "10")]
    pub doc_string: String,
    /// The graph inputs.
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// The graph outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
    /// Types of intermediate values.
    #[prost(message, repeated, tag = "13")]
    pub value_info: Vec<ValueInfoProto>,
}

/// One operator application.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeProto {
    /// Input value names (`""` for an omitted optional input).
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// Output value names.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// The node's name.
    #[prost(string, tag = "3")]
    pub name: String,
    /// The operator.
    #[prost(string, tag = "4")]
    pub op_type: String,
    /// The operator's domain (`""` is `ai.onnx`).
    #[prost(string, tag = "7")]
    pub domain: String,
    /// Attributes.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    /// Documentation.
    #[prost(string, tag = "6")]
    pub doc_string: String,
}

/// A named attribute of a node.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    /// The name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Which value field is used (see [`attribute_type`]).
    #[prost(int32, tag = "20")]
    pub r#type: i32,
    /// A float.
    #[prost(float, tag = "2")]
    pub f: f32,
    /// An integer.
    #[prost(int64, tag = "3")]
    pub i: i64,
    /// A byte string.
    #[prost(bytes = "vec", tag = "4")]
    pub s: Vec<u8>,
    /// A tensor.
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// A graph (the body of `If`, `Loop`, `Scan`...).
    #[prost(message, optional, boxed, tag = "6")]
    pub g: Option<Box<GraphProto>>,
    /// A sparse tensor (`Constant`'s `sparse_value`).
    #[prost(message, optional, tag = "22")]
    pub sparse_tensor: Option<SparseTensorProto>,
    /// Floats.
    #[prost(float, repeated, tag = "7")]
    pub floats: Vec<f32>,
    /// Integers.
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
    /// Byte strings.
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub strings: Vec<Vec<u8>>,
    /// Tensors.
    #[prost(message, repeated, tag = "10")]
    pub tensors: Vec<TensorProto>,
    /// Graphs.
    #[prost(message, repeated, tag = "11")]
    pub graphs: Vec<GraphProto>,
    /// Sparse tensors.
    #[prost(message, repeated, tag = "23")]
    pub sparse_tensors: Vec<SparseTensorProto>,
}

/// A sparse tensor: the non-default `values` at `indices` of a `dims` shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SparseTensorProto {
    /// The non-default values (a 1-D tensor; its name names the sparse tensor).
    #[prost(message, optional, tag = "1")]
    pub values: Option<TensorProto>,
    /// Their positions (int64, 1-D linearised or 2-D coordinates).
    #[prost(message, optional, tag = "2")]
    pub indices: Option<TensorProto>,
    /// The dense shape.
    #[prost(int64, repeated, tag = "3")]
    pub dims: Vec<i64>,
}

/// A tensor: an initializer or an attribute value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// The shape.
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    /// The element type (see [`data_type`]).
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// Float elements.
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    /// int32/int16/int8/uint16/uint8/bool/float16 elements.
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    /// String elements.
    #[prost(bytes = "vec", repeated, tag = "6")]
    pub string_data: Vec<Vec<u8>>,
    /// int64 elements.
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    /// The name.
    #[prost(string, tag = "8")]
    pub name: String,
    /// Documentation.
    #[prost(string, tag = "12")]
    pub doc_string: String,
    /// Elements as little-endian bytes.
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
    /// double elements.
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    /// uint32/uint64 elements.
    #[prost(uint64, repeated, tag = "11")]
    pub uint64_data: Vec<u64>,
    /// `location`, `offset`, `length` (and `checksum`) of external data.
    #[prost(message, repeated, tag = "13")]
    pub external_data: Vec<StringStringEntryProto>,
    /// 0 = in this message, [`DATA_LOCATION_EXTERNAL`] = in `external_data`.
    #[prost(int32, tag = "14")]
    pub data_location: i32,
}

/// The name and type of a graph input, output or intermediate value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    /// The name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The type.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
    /// Documentation.
    #[prost(string, tag = "3")]
    pub doc_string: String,
}

/// A value's type; only tensor types are declared (sequence, map and
/// optional types decode as "not a tensor").
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProto {
    /// A tensor type (`oneof value`, field 1).
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TypeProtoTensor>,
    /// Denotation.
    #[prost(string, tag = "6")]
    pub denotation: String,
}

/// `TypeProto.Tensor`: element type and shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProtoTensor {
    /// The element type (see [`data_type`]).
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
    /// The shape (absent: unknown rank).
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// A tensor shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// The dimensions.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<TensorShapeDimension>,
}

/// One dimension: a number, a symbolic name, or neither (unknown).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeDimension {
    /// The value.
    #[prost(oneof = "DimensionValue", tags = "1, 2")]
    pub value: Option<DimensionValue>,
    /// Denotation.
    #[prost(string, tag = "3")]
    pub denotation: String,
}

/// `TensorShapeProto.Dimension.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum DimensionValue {
    /// A fixed size.
    #[prost(int64, tag = "1")]
    DimValue(i64),
    /// A symbolic size, e.g. `batch_size`.
    #[prost(string, tag = "2")]
    DimParam(String),
}

/// A tensor-typed graph input or output: `name`, element type `elem`
/// ([`data_type`]) and `dims` (fixed sizes or symbolic names).
pub fn tensor_value_info(name: &str, elem: i32, dims: &[DimensionValue]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: elem,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| TensorShapeDimension {
                            value: Some(d.clone()),
                            ..Default::default()
                        })
                        .collect(),
                }),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}
