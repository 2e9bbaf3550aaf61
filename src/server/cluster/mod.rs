//! Talking to clusters: the objects we apply (`manifest`), a client per cluster (`registry`).

pub mod manifest;
pub mod registry;
