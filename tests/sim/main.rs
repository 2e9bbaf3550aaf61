//! The simulated cluster, driven through `kube::Client` over real HTTP exactly as the app
//! drives a real cluster: conformance of every verb, the External Secrets controller, and the
//! workload kinds (stored, never run).

mod conformance;
mod controller;
mod discovery;
mod eso_features;
mod eso_truth;
mod patches;
mod semantics;
mod strict;
mod support;
mod timing;
mod truth;
mod workloads;
