//! The type tables of the GGUF format: ggml tensor types (block size and bytes
//! per block, as in ggml's `type_traits`), GGUF metadata value types, and
//! llama.cpp's file-type (`general.file_type`) names.

use serde::Serialize;
use serde::ser::SerializeStruct;
use std::fmt;

macro_rules! ggml_types {
    ($( $variant:ident = $id:literal, $name:literal, $block:literal, $size:literal; )*) => {
        /// A ggml tensor element type, as stored in a GGUF tensor info.
        ///
        /// The discriminant is the type id written in the file (`enum ggml_type`
        /// in ggml.h). Ids that ggml has removed (4, 5, 31-33, 36-38) are not
        /// listed; [`GgmlType::from_id`] returns `None` for them.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[repr(u32)]
        pub enum GgmlType {
            $(
                #[doc = concat!("`", $name, "`: ", $block, " element(s) in ", $size, " bytes per block.")]
                $variant = $id,
            )*
        }

        impl GgmlType {
            /// Every type this table knows, in id order.
            pub const ALL: &'static [GgmlType] = &[$(GgmlType::$variant),*];

            /// The type with this id, or `None` if the id is unknown or removed.
            pub const fn from_id(id: u32) -> Option<GgmlType> {
                match id {
                    $($id => Some(GgmlType::$variant),)*
                    _ => None,
                }
            }

            /// ggml's name for the type (`ggml_type_name`), e.g. `"q4_K"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(GgmlType::$variant => $name,)*
                }
            }

            /// Elements per block (`ggml_blck_size`); a row length must be a multiple.
            pub const fn block_size(self) -> u64 {
                match self {
                    $(GgmlType::$variant => $block,)*
                }
            }

            /// Bytes per block (`ggml_type_size`).
            pub const fn type_size(self) -> u64 {
                match self {
                    $(GgmlType::$variant => $size,)*
                }
            }
        }
    };
}

ggml_types! {
    F32 = 0, "f32", 1, 4;
    F16 = 1, "f16", 1, 2;
    Q4_0 = 2, "q4_0", 32, 18;
    Q4_1 = 3, "q4_1", 32, 20;
    Q5_0 = 6, "q5_0", 32, 22;
    Q5_1 = 7, "q5_1", 32, 24;
    Q8_0 = 8, "q8_0", 32, 34;
    Q8_1 = 9, "q8_1", 32, 36;
    Q2_K = 10, "q2_K", 256, 84;
    Q3_K = 11, "q3_K", 256, 110;
    Q4_K = 12, "q4_K", 256, 144;
    Q5_K = 13, "q5_K", 256, 176;
    Q6_K = 14, "q6_K", 256, 210;
    Q8_K = 15, "q8_K", 256, 292;
    IQ2_XXS = 16, "iq2_xxs", 256, 66;
    IQ2_XS = 17, "iq2_xs", 256, 74;
    IQ3_XXS = 18, "iq3_xxs", 256, 98;
    IQ1_S = 19, "iq1_s", 256, 50;
    IQ4_NL = 20, "iq4_nl", 32, 18;
    IQ3_S = 21, "iq3_s", 256, 110;
    IQ2_S = 22, "iq2_s", 256, 82;
    IQ4_XS = 23, "iq4_xs", 256, 136;
    I8 = 24, "i8", 1, 1;
    I16 = 25, "i16", 1, 2;
    I32 = 26, "i32", 1, 4;
    I64 = 27, "i64", 1, 8;
    F64 = 28, "f64", 1, 8;
    IQ1_M = 29, "iq1_m", 256, 56;
    BF16 = 30, "bf16", 1, 2;
    TQ1_0 = 34, "tq1_0", 256, 54;
    TQ2_0 = 35, "tq2_0", 256, 66;
    MXFP4 = 39, "mxfp4", 32, 17;
    NVFP4 = 40, "nvfp4", 64, 36;
    Q1_0 = 41, "q1_0", 128, 18;
    Q2_0 = 42, "q2_0", 64, 18;
}

impl GgmlType {
    /// The id written in GGUF files.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// Bytes taken by a tensor of `n_elements` elements whose row length is a
    /// multiple of the block size; `None` if the count is not a whole number of
    /// blocks or the size overflows `u64`.
    pub fn n_bytes(self, n_elements: u64) -> Option<u64> {
        let block = self.block_size();
        if !n_elements.is_multiple_of(block) {
            return None;
        }
        (n_elements / block).checked_mul(self.type_size())
    }
}

/// Ids ggml once used and has since removed, with the name they had; used to
/// explain why a file that uses one cannot be loaded.
pub fn removed_ggml_type_name(id: u32) -> Option<&'static str> {
    match id {
        4 => Some("q4_2"),
        5 => Some("q4_3"),
        31 => Some("q4_0_4_4"),
        32 => Some("q4_0_4_8"),
        33 => Some("q4_0_8_8"),
        36 => Some("iq4_nl_4_4"),
        37 => Some("iq4_nl_4_8"),
        38 => Some("iq4_nl_8_8"),
        _ => None,
    }
}

impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for GgmlType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("GgmlType", 2)?;
        s.serialize_field("id", &self.id())?;
        s.serialize_field("name", self.name())?;
        s.end()
    }
}

/// The type of a GGUF metadata value (`enum gguf_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
#[repr(u32)]
pub enum GgufValueType {
    /// `u8`
    U8 = 0,
    /// `i8`
    I8 = 1,
    /// `u16`
    U16 = 2,
    /// `i16`
    I16 = 3,
    /// `u32`
    U32 = 4,
    /// `i32`
    I32 = 5,
    /// `f32`
    F32 = 6,
    /// `bool`, one byte, non-zero is true
    Bool = 7,
    /// a string: `u64` byte length then UTF-8 bytes
    String = 8,
    /// an array: `u32` element type, `u64` count, elements
    Array = 9,
    /// `u64`
    U64 = 10,
    /// `i64`
    I64 = 11,
    /// `f64`
    F64 = 12,
}

impl GgufValueType {
    /// The value type with this id, or `None`.
    pub const fn from_id(id: u32) -> Option<GgufValueType> {
        Some(match id {
            0 => Self::U8,
            1 => Self::I8,
            2 => Self::U16,
            3 => Self::I16,
            4 => Self::U32,
            5 => Self::I32,
            6 => Self::F32,
            7 => Self::Bool,
            8 => Self::String,
            9 => Self::Array,
            10 => Self::U64,
            11 => Self::I64,
            12 => Self::F64,
            _ => return None,
        })
    }

    /// The id written in GGUF files.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// Bytes of one value of a fixed-size type; `None` for strings and arrays.
    pub const fn fixed_size(self) -> Option<u64> {
        match self {
            Self::U8 | Self::I8 | Self::Bool => Some(1),
            Self::U16 | Self::I16 => Some(2),
            Self::U32 | Self::I32 | Self::F32 => Some(4),
            Self::U64 | Self::I64 | Self::F64 => Some(8),
            Self::String | Self::Array => None,
        }
    }

    /// The fewest bytes one value of this type can take in a file (a string
    /// needs its length, an array its element type and count).
    pub const fn min_size(self) -> u64 {
        match self.fixed_size() {
            Some(n) => n,
            None => match self {
                Self::String => 8,
                _ => 12,
            },
        }
    }

    /// llama.cpp's short name (`gguf_type_name`), e.g. `"u32"`, `"str"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::U8 => "u8",
            Self::I8 => "i8",
            Self::U16 => "u16",
            Self::I16 => "i16",
            Self::U32 => "u32",
            Self::I32 => "i32",
            Self::F32 => "f32",
            Self::Bool => "bool",
            Self::String => "str",
            Self::Array => "arr",
            Self::U64 => "u64",
            Self::I64 => "i64",
            Self::F64 => "f64",
        }
    }
}

impl fmt::Display for GgufValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// llama.cpp's name for a `general.file_type` value (`enum llama_ftype`),
/// shortened to the usual file-name spelling: `"Q4_K_M"`, `"F16"`, `"F32"`.
/// `None` for values llama.cpp does not define.
pub fn ftype_name(file_type: u32) -> Option<&'static str> {
    Some(match file_type {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        39 => "NVFP4",
        40 => "Q1_0",
        41 => "Q2_0",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_and_type_sizes_match_ggml() {
        let expect = [
            (GgmlType::F32, 1, 4),
            (GgmlType::F16, 1, 2),
            (GgmlType::BF16, 1, 2),
            (GgmlType::Q4_0, 32, 18),
            (GgmlType::Q8_0, 32, 34),
            (GgmlType::Q4_K, 256, 144),
            (GgmlType::Q5_K, 256, 176),
            (GgmlType::Q6_K, 256, 210),
            (GgmlType::Q2_K, 256, 84),
            (GgmlType::Q3_K, 256, 110),
            (GgmlType::IQ4_XS, 256, 136),
            (GgmlType::MXFP4, 32, 17),
            (GgmlType::TQ1_0, 256, 54),
        ];
        for (t, block, size) in expect {
            assert_eq!((t.block_size(), t.type_size()), (block, size), "{t}");
        }
    }

    #[test]
    fn ids_round_trip_and_removed_ids_are_unknown() {
        for &t in GgmlType::ALL {
            assert_eq!(GgmlType::from_id(t.id()), Some(t));
        }
        assert_eq!(GgmlType::ALL.len(), 35);
        for id in [4, 5, 31, 32, 33, 36, 37, 38, 43, 1000] {
            assert_eq!(GgmlType::from_id(id), None, "id {id}");
        }
        assert_eq!(removed_ggml_type_name(31), Some("q4_0_4_4"));
        assert_eq!(GgmlType::from_id(12).map(GgmlType::name), Some("q4_K"));
    }

    #[test]
    fn tensor_byte_sizes() {
        // Llama-3.2-1B token_embd.weight [2048, 128256] in Q6_K.
        let n = 2048u64 * 128_256;
        assert_eq!(GgmlType::Q6_K.n_bytes(n), Some(n / 256 * 210));
        assert_eq!(GgmlType::Q4_0.n_bytes(64), Some(36));
        assert_eq!(GgmlType::Q4_0.n_bytes(33), None);
        assert_eq!(GgmlType::F32.n_bytes(u64::MAX), None);
    }

    #[test]
    fn value_types_and_ftypes() {
        for id in 0..13 {
            let t = GgufValueType::from_id(id).map(GgufValueType::id);
            assert_eq!(t, Some(id));
        }
        assert_eq!(GgufValueType::from_id(13), None);
        assert_eq!(GgufValueType::String.min_size(), 8);
        assert_eq!(ftype_name(15), Some("Q4_K_M"));
        assert_eq!(ftype_name(7), Some("Q8_0"));
        assert_eq!(ftype_name(4), None);
    }
}
