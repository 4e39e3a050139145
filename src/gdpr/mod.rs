//! GDPR duties built in: national-ID detection and masking (Art. 25, 87). Classification,
//! retention, consent and data-subject requests follow in this module.

pub mod classification;
pub mod consent;
pub mod erase;
pub mod national_id;
pub mod subject;

#[cfg(test)]
mod test_support;
