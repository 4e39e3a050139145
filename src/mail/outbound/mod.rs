//! Outgoing mail: composing, the durable queue, and delivery to the smarthost.

pub mod compose;
pub mod delivery;
pub mod queue;
pub mod worker;
