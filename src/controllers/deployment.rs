//! The Deployment controller (SEMANTICS §3): rolls a pod template out through ReplicaSets.

pub mod util;

#[cfg(test)]
mod tests;
