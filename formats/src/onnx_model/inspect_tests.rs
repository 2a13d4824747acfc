//! Tests of `inspect`.
use super::super::proto::*;
use super::*;

fn entry(k: &str, v: &str) -> StringStringEntryProto {
    StringStringEntryProto {
        key: k.into(),
        value: v.into(),
    }
}

fn tensor_value(name: &str, elem: i32, dims: &[DimensionValue]) -> ValueInfoProto {
    super::super::proto::tensor_value_info(name, elem, dims)
}

/// A small model: Gather(embedding, ids) -> MatMul(w) -> out; `w`
/// stored externally at `location` with `offset`/`length`.
fn model(location: &str, offset: u64, length: u64) -> ModelProto {
    let embd = TensorProto {
        name: "embd".into(),
        dims: vec![4, 2],
        data_type: data_type::FLOAT,
        float_data: vec![0.5; 8],
        ..Default::default()
    };
    let w = TensorProto {
        name: "w".into(),
        dims: vec![2, 2],
        data_type: data_type::FLOAT,
        data_location: DATA_LOCATION_EXTERNAL,
        external_data: vec![
            entry("location", location),
            entry("offset", &offset.to_string()),
            entry("length", &length.to_string()),
        ],
        ..Default::default()
    };
    let node = |op: &str, i: &[&str], o: &str| NodeProto {
        op_type: op.into(),
        input: i.iter().map(|s| s.to_string()).collect(),
        output: vec![o.into()],
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        producer_name: "test".into(),
        producer_version: "1".into(),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        metadata_props: vec![entry("k", "v")],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![
                node("Gather", &["embd", "ids"], "x"),
                node("MatMul", &["x", "w"], "y"),
            ],
            initializer: vec![embd, w],
            input: vec![tensor_value(
                "ids",
                data_type::INT64,
                &[
                    DimensionValue::DimParam("batch".into()),
                    DimensionValue::DimValue(3),
                ],
            )],
            output: vec![tensor_value(
                "y",
                data_type::FLOAT,
                &[DimensionValue::DimParam("batch".into())],
            )],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn write(dir: &Path, m: &ModelProto) -> PathBuf {
    let p = dir.join("m.onnx");
    fs::write(&p, m.encode_to_vec()).unwrap();
    p
}

#[test]
fn round_trip_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("w.bin"), [0u8; 64]).unwrap();
    let m = model("w.bin", 16, 16);
    let bytes = m.encode_to_vec();
    assert_eq!(ModelProto::decode(bytes.as_slice()).unwrap(), m);
    let info = inspect(&write(dir.path(), &m)).unwrap();
    assert_eq!(info.ir_version, 8);
    assert_eq!(info.producer, "test 1");
    assert_eq!(
        info.opset_imports,
        vec![OpsetImport {
            domain: String::new(),
            version: 17
        }]
    );
    assert_eq!(info.metadata.get("k").map(String::as_str), Some("v"));
    assert_eq!(info.inputs.len(), 1);
    assert_eq!(info.inputs[0].elem_type, "int64");
    assert_eq!(
        info.inputs[0].dims,
        vec![Dim::Symbolic("batch".into()), Dim::Fixed(3)]
    );
    assert_eq!(info.value("y").unwrap().elem_type, "float");
    assert_eq!(info.op_types.get("Gather"), Some(&1));
    assert_eq!(info.op_types.get("MatMul"), Some(&1));
    assert_eq!(info.initializers[0].byte_size, 32);
    assert!(info.initializers[0].embedding_only);
    assert_eq!(info.initializers[0].storage, Storage::Inline);
    assert_eq!(
        info.initializers[1].storage,
        Storage::External {
            location: "w.bin".into(),
            offset: 16,
            length: 16
        }
    );
    assert_eq!(info.total_weight_bytes(), 48);
    assert_eq!(info.decode_weight_bytes(), 16);
}

fn refusal(location: &str, offset: u64, length: u64, setup: impl FnOnce(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("model");
    fs::create_dir(&sub).unwrap();
    fs::write(dir.path().join("outside.bin"), [0u8; 64]).unwrap();
    setup(&sub);
    let p = write(&sub, &model(location, offset, length));
    let err = inspect(&p).unwrap_err();
    assert!(
        matches!(err, OnnxModelError::ExternalData { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("m.onnx") && msg.contains("'w'") && msg.contains(location),
        "{msg}"
    );
    msg
}

#[test]
fn external_data_refusals() {
    let msg = refusal("/etc/passwd", 0, 1, |_| {});
    assert!(msg.contains("absolute"), "{msg}");
    let msg = refusal("../outside.bin", 0, 16, |_| {});
    assert!(msg.contains(".."), "{msg}");
    let msg = refusal("a/../../outside.bin", 0, 16, |_| {});
    assert!(msg.contains(".."), "{msg}");
    let msg = refusal("missing.bin", 0, 16, |_| {});
    assert!(msg.contains("does not exist"), "{msg}");
    let msg = refusal("w.bin", 60, 16, |d| {
        fs::write(d.join("w.bin"), [0u8; 64]).unwrap()
    });
    assert!(msg.contains("past the end"), "{msg}");
    let msg = refusal("w.bin", u64::MAX, 16, |d| {
        fs::write(d.join("w.bin"), [0u8; 64]).unwrap()
    });
    assert!(msg.contains("past the end"), "{msg}");
    let msg = refusal("sub", 0, 16, |d| fs::create_dir(d.join("sub")).unwrap());
    assert!(msg.contains("not a regular file"), "{msg}");
    #[cfg(unix)]
    {
        let msg = refusal("link.bin", 0, 16, |d| {
            std::os::unix::fs::symlink(d.join("../outside.bin"), d.join("link.bin")).unwrap()
        });
        assert!(msg.contains("symbolic link"), "{msg}");
        // A linked folder is refused too, not only a linked file.
        let msg = refusal("ln/outside.bin", 0, 16, |d| {
            std::os::unix::fs::symlink(d.join(".."), d.join("ln")).unwrap()
        });
        assert!(msg.contains("symbolic link"), "{msg}");
    }
}

/// A tensor whose bytes are said to be at `location`.
fn external_tensor(name: &str, location: &str) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![2],
        data_type: data_type::FLOAT,
        data_location: DATA_LOCATION_EXTERNAL,
        external_data: vec![entry("location", location), entry("length", "8")],
        ..Default::default()
    }
}

fn constant(name: &str, t: TensorProto) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: "Constant".into(),
        output: vec![format!("{name}_out")],
        attribute: vec![AttributeProto {
            name: "value".into(),
            r#type: attribute_type::TENSOR,
            t: Some(t),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Inspects the test model (its `w.bin` in place) after `edit`.
fn inspect_edited(edit: impl FnOnce(&mut GraphProto)) -> Result<OnnxInfo, OnnxModelError> {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("model");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("w.bin"), [0u8; 64]).unwrap();
    fs::write(dir.path().join("x"), [0u8; 64]).unwrap();
    let mut m = model("w.bin", 0, 16);
    edit(m.graph.as_mut().unwrap());
    inspect(&write(&sub, &m))
}

fn assert_refused(r: Result<OnnxInfo, OnnxModelError>, names: &[&str]) {
    let err = r.unwrap_err();
    assert!(
        matches!(err, OnnxModelError::ExternalData { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("m.onnx") && msg.contains("'../x'"), "{msg}");
    assert!(msg.contains("`..`"), "{msg}");
    for n in names {
        assert!(msg.contains(n), "{n}: {msg}");
    }
}

#[test]
fn constant_node_external_data_is_checked() {
    // Safe external data in a Constant is accepted.
    inspect_edited(|g| g.node.push(constant("c", external_tensor("ct", "w.bin")))).unwrap();
    assert_refused(
        inspect_edited(|g| g.node.push(constant("c", external_tensor("ct", "../x")))),
        &["'ct'", "'value'", "node 'c' (Constant)", "graph 'g'"],
    );
    // The `tensors` list too.
    assert_refused(
        inspect_edited(|g| {
            g.node[1].attribute.push(AttributeProto {
                name: "list".into(),
                r#type: attribute_type::TENSORS,
                tensors: vec![
                    external_tensor("ok", "w.bin"),
                    external_tensor("lt", "../x"),
                ],
                ..Default::default()
            })
        }),
        &["'lt'", "'list'"],
    );
}

#[test]
fn subgraph_and_sparse_external_data_is_checked() {
    // A Constant inside an If branch, two levels down.
    let inner = GraphProto {
        name: "inner".into(),
        node: vec![constant("deep", external_tensor("dt", "../x"))],
        ..Default::default()
    };
    let then = GraphProto {
        name: "then".into(),
        node: vec![NodeProto {
            name: "loop".into(),
            op_type: "Loop".into(),
            attribute: vec![AttributeProto {
                name: "body".into(),
                r#type: attribute_type::GRAPH,
                g: Some(Box::new(inner)),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let r#if = |then: GraphProto| NodeProto {
        name: "if".into(),
        op_type: "If".into(),
        attribute: vec![AttributeProto {
            name: "then_branch".into(),
            r#type: attribute_type::GRAPH,
            g: Some(Box::new(then)),
            ..Default::default()
        }],
        ..Default::default()
    };
    let bytes = ModelProto {
        graph: Some(GraphProto {
            node: vec![r#if(then.clone())],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec();
    // Subgraphs survive a round trip through the declared fields.
    let back = ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(back.graph.unwrap().node[0], r#if(then.clone()));
    assert_refused(
        inspect_edited(|g| g.node.push(r#if(then))),
        &[
            "'dt'",
            "node 'deep' (Constant)",
            "subgraph 'inner'",
            "subgraph 'then'",
        ],
    );
    // A subgraph's own initializer, in the `graphs` list.
    assert_refused(
        inspect_edited(|g| {
            g.node.push(NodeProto {
                name: "s".into(),
                op_type: "Scan".into(),
                attribute: vec![AttributeProto {
                    name: "bodies".into(),
                    r#type: attribute_type::GRAPHS,
                    graphs: vec![GraphProto {
                        name: "b".into(),
                        initializer: vec![external_tensor("bi", "../x")],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            })
        }),
        &["initializer 'bi'", "subgraph 'b'"],
    );
    // Sparse initializers: values and indices.
    assert_refused(
        inspect_edited(|g| {
            g.sparse_initializer.push(SparseTensorProto {
                values: Some(external_tensor("sv", "../x")),
                indices: None,
                dims: vec![4],
            })
        }),
        &["values of sparse tensor 'sv'"],
    );
    assert_refused(
        inspect_edited(|g| {
            g.sparse_initializer.push(SparseTensorProto {
                values: Some(external_tensor("sv", "w.bin")),
                indices: Some(external_tensor("si", "../x")),
                dims: vec![4],
            })
        }),
        &["indices of sparse tensor 'sv'"],
    );
    // A Constant's sparse_value.
    assert_refused(
        inspect_edited(|g| {
            g.node.push(NodeProto {
                name: "sc".into(),
                op_type: "Constant".into(),
                attribute: vec![AttributeProto {
                    name: "sparse_value".into(),
                    r#type: attribute_type::SPARSE_TENSOR,
                    sparse_tensor: Some(SparseTensorProto {
                        values: Some(external_tensor("scv", "../x")),
                        indices: None,
                        dims: vec![4],
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            })
        }),
        &["sparse tensor 'scv'", "'sparse_value'"],
    );
}

#[test]
fn crafted_dims_saturate() {
    assert_eq!(elements(&[]), 1);
    assert_eq!(elements(&[4, -3]), 0);
    assert_eq!(elements(&[i64::MAX, i64::MAX, 2]), u64::MAX);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("w.bin"), [0u8; 64]).unwrap();
    let mut m = model("w.bin", 0, 16);
    let g = m.graph.as_mut().unwrap();
    // Inline tensors with no data but huge dims: each element count
    // saturates, and so does the sum of their sizes.
    for i in 0..9 {
        g.initializer.push(TensorProto {
            name: format!("huge{i}"),
            dims: vec![i64::MAX, i64::MAX],
            data_type: data_type::DOUBLE,
            ..Default::default()
        });
    }
    g.node.push(NodeProto {
        op_type: "MatMulNBits".into(),
        domain: "com.microsoft".into(),
        input: vec!["x".into(), "q".into()],
        ..Default::default()
    });
    g.initializer.push(TensorProto {
        name: "q".into(),
        dims: vec![i64::MAX, 3],
        data_type: data_type::UINT8,
        ..Default::default()
    });
    let info = inspect(&write(dir.path(), &m)).unwrap();
    assert_eq!(info.initializers[2].byte_size, u64::MAX.div_ceil(8));
    assert_eq!(info.total_weight_bytes(), u64::MAX);
    assert_eq!(info.decode_weight_bytes(), u64::MAX);
    assert_eq!(info.n_params(), u64::MAX);
}

#[test]
fn corrupt_missing_and_lfs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.onnx");
    let err = inspect(&p).unwrap_err();
    assert!(matches!(err, OnnxModelError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("bad.onnx"));

    fs::write(&p, [0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]).unwrap();
    let err = inspect(&p).unwrap_err();
    assert!(matches!(err, OnnxModelError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("bad.onnx"), "{err}");

    // A truncated model fails to decode.
    let mut bytes = model("w.bin", 0, 16).encode_to_vec();
    bytes.truncate(bytes.len() - 3);
    fs::write(&p, &bytes).unwrap();
    let err = inspect(&p).unwrap_err();
    assert!(matches!(err, OnnxModelError::Corrupt { .. }), "{err:?}");

    fs::write(&p, []).unwrap();
    assert!(matches!(
        inspect(&p).unwrap_err(),
        OnnxModelError::Corrupt { .. }
    ));

    fs::write(
        &p,
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
    )
    .unwrap();
    let err = inspect(&p).unwrap_err();
    assert!(matches!(err, OnnxModelError::LfsPointer { .. }), "{err:?}");
    assert!(err.to_string().contains("git lfs pull"), "{err}");

    let no_graph = ModelProto {
        ir_version: 8,
        ..Default::default()
    };
    fs::write(&p, no_graph.encode_to_vec()).unwrap();
    let err = inspect(&p).unwrap_err();
    assert!(matches!(err, OnnxModelError::NoGraph { .. }), "{err:?}");
}
