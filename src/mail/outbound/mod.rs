//! Outgoing mail: composing, the durable queue, and delivery to the smarthost or directly
//! to the recipients' mail hosts, DKIM-signed.

pub mod compose;
pub mod delivery;
pub mod dkim;
pub mod mx;
pub mod queue;
pub mod worker;
