//! The simulated cluster, driven through `kube::Client` over real HTTP exactly as the app
//! drives a real cluster: conformance of every verb, and the External Secrets controller.

mod conformance;
mod controller;
mod discovery;
mod eso_truth;
mod patches;
mod semantics;
mod strict;
mod support;
mod timing;
mod truth;
