//! Benchmarks of edgebench's own overhead live in `benches/benches/`.
