//! Outgoing mail: composing, the durable queue, and delivery to the smarthost.

pub mod compose;
pub mod queue;
pub mod worker;
