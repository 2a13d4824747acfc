//! Tests of `layout`.
use super::*;

fn optimum(layers: usize, kv: Elem) -> (Vec<IoSpec>, Vec<IoSpec>) {
    let mut i = vec![
        IoSpec::new("input_ids", Elem::I64, &[-1, -1]),
        IoSpec::new("attention_mask", Elem::I64, &[-1, -1]),
        IoSpec::new("position_ids", Elem::I64, &[-1, -1]),
    ];
    let mut o = vec![IoSpec::new("logits", Elem::F32, &[-1, -1, 100])];
    for l in 0..layers {
        for k in ["key", "value"] {
            i.push(IoSpec::new(
                &format!("past_key_values.{l}.{k}"),
                kv,
                &[-1, 2, -1, 8],
            ));
            o.push(IoSpec::new(
                &format!("present.{l}.{k}"),
                kv,
                &[-1, 2, -1, 8],
            ));
        }
    }
    (i, o)
}

#[test]
fn optimum_layout_is_found() {
    let (i, o) = optimum(3, Elem::F32);
    let l = discover(&i, &o, None).unwrap();
    assert_eq!(l.kind, LayoutKind::Optimum);
    assert_eq!(l.layers.len(), 3);
    assert_eq!(l.layers[2].present_value, "present.2.value");
    assert_eq!((l.kv_heads, l.head_dim), (2, 8));
    assert_eq!(l.vocab_from_graph, Some(100));
    assert_eq!(l.position_ids.as_deref(), Some("position_ids"));
    assert!(!l.share_buffer);
}

#[test]
fn f16_kv_is_kept_in_the_models_type() {
    let (i, o) = optimum(1, Elem::F16);
    assert_eq!(discover(&i, &o, None).unwrap().kv_elem, Elem::F16);
}

#[test]
fn missing_present_output_is_named() {
    let (i, mut o) = optimum(2, Elem::F32);
    o.retain(|s| s.name != "present.1.key");
    let e = discover(&i, &o, None).unwrap_err();
    assert!(
        e.contains("'past_key_values.1.key' input but no 'present.1.key' output"),
        "{e}"
    );
}

#[test]
fn no_past_export_is_refused_with_advice() {
    let (mut i, o) = optimum(2, Elem::F32);
    i.retain(|s| !s.name.starts_with("past_key_values"));
    let e = discover(&i, &o, None).unwrap_err();
    assert!(e.contains("with-past export"), "{e}");
    assert!(e.contains("past_key_values.0.key"), "{e}");
}

#[test]
fn wrong_type_and_arity_are_refused() {
    // int32 ids, mask and positions (some genai exports) are taken as
    // they are; a float id is not.
    let (mut i, o) = optimum(1, Elem::F32);
    for spec in &mut i[..3] {
        spec.elem = Elem::I32;
    }
    let l = discover(&i, &o, None).unwrap();
    assert_eq!((l.ids_elem, l.mask_elem), (Elem::I32, Elem::I32));
    let (mut i, o) = optimum(1, Elem::F32);
    i[0].elem = Elem::F32;
    let e = discover(&i, &o, None).unwrap_err();
    assert!(
        e.contains("'input_ids'") && e.contains("expected int64 or int32"),
        "{e}"
    );
    let (mut i, o) = optimum(1, Elem::F32);
    i[1].shape = vec![-1];
    let e = discover(&i, &o, None).unwrap_err();
    assert!(
        e.contains("'attention_mask'") && e.contains("expected 2"),
        "{e}"
    );
    let (mut i, o) = optimum(1, Elem::F32);
    i[3].elem = Elem::Other;
    let e = discover(&i, &o, None).unwrap_err();
    assert!(
        e.contains("past_key_values.0.key") && e.contains("float32 or float16"),
        "{e}"
    );
}

#[test]
fn genai_names_come_from_the_config() {
    let text = r#"{
      "model": {
        "bos_token_id": 1, "context_length": 2048, "vocab_size": 500,
        "decoder": {
          "head_size": 16, "num_key_value_heads": 4, "num_hidden_layers": 2,
          "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                     "past_key_names": "past_key_values.%d.key",
                     "past_value_names": "past_key_values.%d.value"},
          "outputs": {"logits": "logits", "present_key_names": "present.%d.key",
                      "present_value_names": "present.%d.value"}
        }
      },
      "search": {"past_present_share_buffer": true, "max_length": 2048}
    }"#;
    let g = GenaiConfig::parse(text).unwrap();
    assert_eq!(g.bos_token_id, Some(1));
    assert_eq!(g.context_length, Some(2048));
    assert!(g.past_present_share_buffer);
    let mut i = vec![
        IoSpec::new("input_ids", Elem::I64, &[-1, -1]),
        IoSpec::new("attention_mask", Elem::I64, &[-1, -1]),
    ];
    let mut o = vec![IoSpec::new("logits", Elem::F16, &[-1, -1, -1])];
    for l in 0..2 {
        for k in ["key", "value"] {
            i.push(IoSpec::new(
                &format!("past_key_values.{l}.{k}"),
                Elem::F16,
                &[-1, -1, -1, -1],
            ));
            o.push(IoSpec::new(
                &format!("present.{l}.{k}"),
                Elem::F16,
                &[-1, -1, -1, -1],
            ));
        }
    }
    let l = discover(&i, &o, Some(&g)).unwrap();
    assert_eq!(l.kind, LayoutKind::Genai);
    assert_eq!((l.kv_heads, l.head_dim), (4, 16));
    assert!(l.share_buffer);
    assert_eq!(l.position_ids, None);
    assert_eq!(l.vocab_from_graph, None);
    // Layer count mismatch is named.
    let g3 = GenaiConfig {
        layers: Some(3),
        ..g.clone()
    };
    let e = discover(&i, &o, Some(&g3)).unwrap_err();
    assert!(e.contains("3 layers"), "{e}");
    // Symbolic dims and no config values: refused.
    let g0 = GenaiConfig {
        kv_heads: None,
        ..g
    };
    let e = discover(&i, &o, Some(&g0)).unwrap_err();
    assert!(e.contains("num_key_value_heads"), "{e}");
}
