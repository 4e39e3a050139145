//! The outbound delivery worker: one manager task that takes due items from the durable
//! queue ([`super::queue`]), signs them with DKIM ([`super::dkim`]), delivers them through
//! the smarthost or directly to the recipients' MX hosts ([`super::delivery`],
//! [`super::mx`]) with bounded concurrency, and records each outcome in one store write.
//!
//! When it runs: at start (so mail queued before a restart goes out at once), whenever
//! [`App::outbound_wakeup`] is notified (a reply was committed), and when the earliest
//! queued item falls due (re-checked at least every [`MAX_IDLE`]).
//!
//! Outcomes, per item:
//! - accepted by the relay (or every recipient's mail host) → removed from the queue;
//!   article `Delivery::Sent { reply }`;
//! - temporary failure (4yz reply, connect/DNS failure, timeout, STARTTLS required but not
//!   offered or failed, no smarthost configured) → `attempts + 1`, `last_error`, next try
//!   after an exponential back-off (base [`DEFAULT_RETRY_BASE_MS`] = 1 min, doubling,
//!   capped at [`MAX_BACKOFF_MS`] = 1 h); article
//!   `Delivery::Deferred { attempts, last_error, next_attempt_ms }`;
//! - permanent failure (5yz reply to MAIL/RCPT/DATA, RFC 5321 §4.2.1; null MX, RFC 7505;
//!   NXDOMAIN), or a temporary one once the retry period (runtime setting, default 5 days,
//!   counted from when the mail was queued) is over → removed; article
//!   `Delivery::Failed { reason }`.
//!
//! Delivery is at-least-once: if the process stops between the relay's acceptance and the
//! commit of the outcome, the message is sent again after the restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::delivery::{self, DeliveryOptions};
use super::dkim::DkimKeys;
use super::mx::{self, HickoryDns};
use super::queue::{self, OutboundItem};
use crate::app::App;
use crate::error::{Error, Result};
use crate::helpdesk::model::Delivery;
use crate::helpdesk::settings::{self, DeliveryMode, DirectTls, Relay, RelayTls};
use crate::store::Table;
use crate::store::codec::be;
#[cfg(test)]
use crate::store::codec::be2;
use crate::store::{Reader, WriteTx};

/// Environment variable: the first back-off step in milliseconds (default
/// [`DEFAULT_RETRY_BASE_MS`], i.e. 60000 = 1 minute; then 2, 4, 8 … times that, capped at
/// [`MAX_BACKOFF_MS`] or the base itself if larger). Tests set it low (e.g. `500`) so
/// retries happen within seconds; values below 100 are raised to 100.
pub const RETRY_BASE_ENV: &str = "TRYGG_OUTBOUND_RETRY_BASE_MS";
/// Default first back-off step: 1 minute, in milliseconds.
pub const DEFAULT_RETRY_BASE_MS: i64 = 60_000;
/// Longest back-off step: 1 hour, in milliseconds.
pub const MAX_BACKOFF_MS: i64 = 3_600_000;
/// Items taken per round.
pub const BATCH: usize = 16;
/// Deliveries in flight at once.
pub const CONCURRENCY: usize = 4;
/// Longest sleep without re-checking the queue.
pub const MAX_IDLE: Duration = Duration::from_secs(60);
/// Shortest sleep between rounds that found nothing due.
const MIN_PAUSE: Duration = Duration::from_millis(100);
/// Pause after a store error before trying again.
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(5);

/// Error recorded while no smarthost is configured (the mail stays queued).
pub const NO_RELAY: &str = "no smarthost configured";

/// Delivers queued mail until the task is dropped. Never returns on a delivery or store
/// error: those are logged (and recorded on the item), and the loop goes on.
pub async fn run(app: Arc<App>) -> Result<()> {
    let base = retry_base_ms();
    tracing::debug!(retry_base_ms = base, "outbound worker started");
    loop {
        let now = app.now_ms();
        let due = blocking(&app, move |a| a.store.read(|r| queue::due(r, now, BATCH))).await;
        let pause = match due {
            Ok(items) if !items.is_empty() => {
                if process_batch(&app, items, base).await {
                    continue; // more may be due right away
                }
                STORE_ERROR_PAUSE
            }
            Ok(_) => match blocking(&app, |a| a.store.read(queue::next_due_ms)).await {
                Ok(Some(at)) => {
                    let ms = (at - app.now_ms()).clamp(0, MAX_IDLE.as_millis() as i64);
                    Duration::from_millis(ms as u64)
                }
                Ok(None) => MAX_IDLE,
                Err(e) => {
                    tracing::error!("outbound queue: cannot read the next due time: {e}");
                    STORE_ERROR_PAUSE
                }
            },
            Err(e) => {
                tracing::error!("outbound queue: cannot read due items: {e}");
                STORE_ERROR_PAUSE
            }
        };
        // Never spin: an item that fell due meanwhile is taken after this short floor.
        let pause = pause.max(MIN_PAUSE);
        tokio::select! {
            _ = app.outbound_wakeup.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// The first back-off step from [`RETRY_BASE_ENV`], or the default.
fn retry_base_ms() -> i64 {
    match std::env::var(RETRY_BASE_ENV) {
        Err(_) => DEFAULT_RETRY_BASE_MS,
        Ok(v) => match v.trim().parse::<i64>() {
            Ok(ms) => ms.max(100),
            Err(_) => {
                tracing::warn!(
                    "{RETRY_BASE_ENV}={v:?} is not a number of milliseconds; using {DEFAULT_RETRY_BASE_MS}"
                );
                DEFAULT_RETRY_BASE_MS
            }
        },
    }
}

/// Delay before the next try after `attempts` failed ones (1 → base, 2 → 2·base, …),
/// capped at [`MAX_BACKOFF_MS`] (or `base` when that is larger). Milliseconds.
pub fn backoff_ms(base: i64, attempts: u32) -> i64 {
    let cap = MAX_BACKOFF_MS.max(base);
    let shift = attempts.saturating_sub(1).min(40);
    base.saturating_mul(1i64 << shift).min(cap)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
enum Outcome {
    Sent(String),
    Temporary(String),
    Permanent(String),
}

/// Where this round's mail goes, read once per batch from the settings.
enum Route {
    /// Through the smarthost.
    Relay(Arc<Relay>),
    /// Straight to the recipients' mail hosts.
    Direct(DirectTls),
    /// Relay mode without a smarthost: mail waits.
    Nowhere,
}

/// Everything an attempt needs besides the item.
struct Plan {
    route: Route,
    /// TLS settings for this route, or why they cannot be built (a temporary failure).
    opts: std::result::Result<Arc<DeliveryOptions>, String>,
    dkim: Option<Arc<DkimKeys>>,
    retry_period_ms: i64,
}

/// Reads the settings and prepares this round's route.
fn plan(app: &App) -> Result<Plan> {
    let (s, out, dkim) = app.store.read(|r| {
        Ok((
            settings::load(r)?,
            settings::load_outbound(r)?,
            super::dkim::load(r)?,
        ))
    })?;
    let route = match out.mode {
        DeliveryMode::Direct => Route::Direct(out.direct_tls),
        DeliveryMode::Relay => match s.and_then(|s| s.relay) {
            Some(r) => Route::Relay(Arc::new(r)),
            None => Route::Nowhere,
        },
    };
    let opts = match &route {
        Route::Nowhere => Err(NO_RELAY.to_string()),
        // With TLS off, a broken extra CA file must not hold the mail back.
        Route::Relay(r) => match delivery::relay_tls_config() {
            Ok(tls) => Ok(DeliveryOptions::new(tls)),
            Err(_) if r.tls == RelayTls::None => {
                Ok(DeliveryOptions::new(delivery::empty_tls_config()))
            }
            Err(e) => Err(e),
        },
        Route::Direct(DirectTls::Required) => {
            delivery::relay_tls_config().map(DeliveryOptions::new)
        }
        Route::Direct(DirectTls::Opportunistic) => {
            Ok(DeliveryOptions::new(delivery::unverified_tls_config()))
        }
    };
    let opts = opts.map(|mut o| {
        if matches!(route, Route::Direct(_)) {
            o.helo_name = out.public_host.clone();
        }
        Arc::new(o)
    });
    Ok(Plan {
        route,
        opts,
        dkim: dkim.map(Arc::new),
        retry_period_ms: out.retry_period_ms,
    })
}

/// Delivers `items` (at most [`CONCURRENCY`] at once) and records each outcome. Returns
/// `false` when a store error happened (the caller pauses).
async fn process_batch(app: &Arc<App>, items: Vec<OutboundItem>, base: i64) -> bool {
    let plan = match blocking(app, plan).await {
        Ok(p) => Arc::new(p),
        Err(e) => {
            tracing::error!("outbound: cannot read settings: {e}");
            return false;
        }
    };
    // One resolver per round (direct delivery only).
    let dns = match &plan.route {
        Route::Direct(_) => Some(Arc::new(
            HickoryDns::new(Duration::from_secs(20)).map_err(|e| format!("DNS: {e}")),
        )),
        _ => None,
    };
    let mut ok = true;
    let mut pending = items.into_iter();
    let mut running: JoinSet<bool> = JoinSet::new();
    loop {
        while running.len() < CONCURRENCY {
            let Some(item) = pending.next() else { break };
            let app = app.clone();
            let plan = plan.clone();
            let dns = dns.clone();
            running.spawn(async move { attempt(&app, item, &plan, dns.as_deref(), base).await });
        }
        match running.join_next().await {
            Some(Ok(true)) => {}
            Some(Ok(false)) => ok = false,
            Some(Err(e)) => {
                tracing::error!("outbound: delivery task failed: {e}");
                ok = false;
            }
            None => break,
        }
    }
    ok
}

/// The domain of an address (the DKIM `d=`), lower case.
fn domain_of(address: &str) -> Option<String> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

/// One item: load its bytes, sign, deliver, record. Returns `false` on a store error.
async fn attempt(
    app: &Arc<App>,
    item: OutboundItem,
    plan: &Plan,
    dns: Option<&std::result::Result<HickoryDns, String>>,
    base: i64,
) -> bool {
    let sha = item.raw_sha256.clone();
    let raw = match blocking(app, move |a| {
        a.store.read(|r| crate::helpdesk::ingest::get_blob(r, &sha))
    })
    .await
    {
        Ok(raw) => raw,
        Err(e) => {
            tracing::error!(item = item.id, "outbound: cannot read the message: {e}");
            return false;
        }
    };
    let mut done: Vec<String> = Vec::new();
    let outcome = match (raw, &plan.opts) {
        (None, _) => Outcome::Permanent(format!(
            "the message content ({}) is missing from the store",
            item.raw_sha256
        )),
        (Some(_), Err(e)) => Outcome::Temporary(e.clone()),
        (Some(raw), Ok(opts)) => {
            // DKIM at delivery time (see dkim.rs for why), for the sender's domain.
            let signed = match (&plan.dkim, domain_of(&item.mail_from)) {
                (Some(k), Some(d)) => super::dkim::sign(k, &d, &raw),
                _ => Ok(raw),
            };
            match signed {
                Err(e) => Outcome::Temporary(e),
                Ok(msg) => match &plan.route {
                    Route::Nowhere => Outcome::Temporary(NO_RELAY.to_string()),
                    Route::Relay(relay) => {
                        match delivery::deliver(relay, &item.mail_from, &item.rcpt_to, &msg, opts)
                            .await
                        {
                            Ok(reply) => Outcome::Sent(reply),
                            Err(e) if e.permanent => Outcome::Permanent(e.message),
                            Err(e) => Outcome::Temporary(e.message),
                        }
                    }
                    Route::Direct(tls) => match dns {
                        Some(Ok(dns)) => {
                            let policy = match tls {
                                DirectTls::Opportunistic => RelayTls::Opportunistic,
                                DirectTls::Required => RelayTls::Required,
                            };
                            let r = delivery::deliver_direct(
                                dns,
                                policy,
                                mx::mx_port(),
                                &item.mail_from,
                                &item.rcpt_to,
                                &msg,
                                opts,
                            )
                            .await;
                            let replies: Vec<String> =
                                r.delivered.iter().map(|(_, reply)| reply.clone()).collect();
                            done = r.delivered.into_iter().map(|(a, _)| a).collect();
                            match r.error {
                                None => Outcome::Sent(replies.join("; ")),
                                Some(e) if e.permanent => Outcome::Permanent(e.message),
                                Some(e) => Outcome::Temporary(e.message),
                            }
                        }
                        Some(Err(e)) => Outcome::Temporary(e.clone()),
                        None => Outcome::Temporary("DNS resolver missing".to_string()),
                    },
                },
            }
        }
    };
    match &outcome {
        Outcome::Sent(reply) => tracing::info!(
            item = item.id, ticket = item.ticket, article = item.article, %reply, "outbound mail sent"
        ),
        Outcome::Temporary(e) => tracing::warn!(
            item = item.id, ticket = item.ticket, attempts = item.attempts + 1, error = %e,
            "outbound delivery deferred"
        ),
        Outcome::Permanent(e) => tracing::warn!(
            item = item.id, ticket = item.ticket, error = %e, "outbound delivery failed"
        ),
    }
    let id = item.id;
    let period = plan.retry_period_ms;
    match blocking(app, move |a| {
        let now = a.now_ms();
        a.store.write(now, |tx| {
            record(tx, &item, &outcome, &done, now, base, period)
        })
    })
    .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(
                item = id,
                "outbound: cannot record the delivery result: {e}"
            );
            false
        }
    }
}

/// Records `outcome` for `item` in the caller's (single) transaction: the queue entry and
/// the article's delivery state change together. `done` lists recipients already accepted
/// in this attempt (direct delivery to several domains); they are not tried again.
/// Temporary failures become permanent once `created_ms + retry_period_ms` has passed.
fn record(
    tx: &mut WriteTx,
    item: &OutboundItem,
    outcome: &Outcome,
    done: &[String],
    now: i64,
    base: i64,
    retry_period_ms: i64,
) -> Result<()> {
    // The queue is the truth: if the item is gone (an admin cancelled it meanwhile),
    // change nothing, except that mail which did go out is recorded as sent.
    let Some(current) = tx.get_rec::<OutboundItem>(Table::Outbound, &be(item.id))? else {
        if let Outcome::Sent(reply) = outcome {
            queue::set_article_delivery(
                tx,
                item.ticket,
                item.article,
                Delivery::Sent {
                    at_ms: now,
                    reply: reply.clone(),
                },
            )?;
        }
        return Ok(());
    };
    let attempts = current.attempts.saturating_add(1);
    let expires = current.created_ms.saturating_add(retry_period_ms);
    let partly = if done.is_empty() {
        String::new()
    } else {
        format!(" (already delivered to {})", done.join(", "))
    };
    let delivery = match outcome {
        Outcome::Sent(reply) => {
            queue::remove(tx, &current)?;
            Delivery::Sent {
                at_ms: now,
                reply: reply.clone(),
            }
        }
        Outcome::Temporary(e) if now < expires => {
            let mut next = current.clone();
            next.attempts = attempts;
            next.last_error = Some(format!("{e}{partly}"));
            next.rcpt_to.retain(|r| !done.contains(r));
            next.next_attempt_ms = (now + backoff_ms(base, attempts)).min(expires.max(now));
            queue::reschedule(tx, &next, current.next_attempt_ms)?;
            Delivery::Deferred {
                attempts,
                last_error: format!("{e}{partly}"),
                next_attempt_ms: next.next_attempt_ms,
            }
        }
        Outcome::Temporary(e) => {
            queue::remove(tx, &current)?;
            Delivery::Failed {
                at_ms: now,
                reason: format!(
                    "gave up after {attempts} attempts in {}: {e}{partly}",
                    human_period(retry_period_ms)
                ),
            }
        }
        Outcome::Permanent(e) => {
            queue::remove(tx, &current)?;
            Delivery::Failed {
                at_ms: now,
                reason: format!("{e}{partly}"),
            }
        }
    };
    queue::set_article_delivery(tx, current.ticket, current.article, delivery)
}

/// `5 days`, `3 h`, `2 s`: the retry period in a failure reason.
fn human_period(ms: i64) -> String {
    let s = ms / 1000;
    if s % 86_400 == 0 && s >= 86_400 {
        format!("{} days", s / 86_400)
    } else if s % 3600 == 0 && s >= 3600 {
        format!("{} h", s / 3600)
    } else if s % 60 == 0 && s >= 60 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| Error::internal(format!("blocking task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FixedClock;
    use crate::helpdesk::model::*;
    use crate::helpdesk::settings::Settings;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(60_000, 1), 60_000);
        assert_eq!(backoff_ms(60_000, 2), 120_000);
        assert_eq!(backoff_ms(60_000, 3), 240_000);
        assert_eq!(backoff_ms(60_000, 7), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(60_000, 1000), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(500, 2), 1000);
    }

    fn article(ticket: u64, id: u64) -> Article {
        Article {
            id,
            ticket,
            direction: Direction::Out,
            message_id: format!("{id}@t.test"),
            from: MailAddress {
                name: None,
                address: "support@t.test".into(),
            },
            reply_to: None,
            to: vec![],
            cc: vec![],
            subject: "s".into(),
            text: "t".into(),
            html: None,
            attachments: vec![],
            raw_sha256: None,
            created_ms: 0,
            date: None,
            in_reply_to: vec![],
            references: vec![],
            flags: ParseFlags::default(),
            author: None,
            delivery: Some(Delivery::Queued {
                attempts: 0,
                last_error: None,
            }),
        }
    }

    fn item(id: u64, due: i64, expires: i64) -> OutboundItem {
        OutboundItem {
            id,
            ticket: 1001,
            article: id,
            mail_from: "support@t.test".into(),
            rcpt_to: vec!["c@x.test".into()],
            raw_sha256: "00".into(),
            attempts: 0,
            next_attempt_ms: due,
            created_ms: due,
            expires_ms: expires,
            last_error: None,
        }
    }

    /// Retry period used by the tests, ms.
    const P: i64 = 10_000_000;

    fn setup() -> (tempfile::TempDir, Arc<App>) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path(), Arc::new(FixedClock::at(1_000_000))).unwrap();
        (dir, app)
    }

    fn seed(app: &App, it: &OutboundItem) {
        app.store
            .write(0, |tx| {
                tx.put_rec(
                    Table::Articles,
                    &be2(it.ticket, it.article),
                    &article(it.ticket, it.article),
                )?;
                queue::enqueue(tx, it)
            })
            .unwrap();
    }

    fn delivery_of(app: &App, it: &OutboundItem) -> Delivery {
        app.store
            .read(|r| crate::helpdesk::tickets::article(r, it.ticket, it.article))
            .unwrap()
            .delivery
            .unwrap()
    }

    #[test]
    fn outcomes_update_queue_and_article_in_one_write() {
        let (_d, app) = setup();
        let now = 1_000_000;
        // Temporary: rescheduled with back-off.
        let a = item(1, now, now + 10_000_000);
        seed(&app, &a);
        app.store
            .write(now, |tx| {
                record(
                    tx,
                    &a,
                    &Outcome::Temporary("451 busy".into()),
                    &[],
                    now,
                    1000,
                    P,
                )
            })
            .unwrap();
        let q = app.store.read(queue::all).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].attempts, 1);
        assert_eq!(q[0].next_attempt_ms, now + 1000);
        assert_eq!(q[0].last_error.as_deref(), Some("451 busy"));
        assert_eq!(
            app.store.read(queue::next_due_ms).unwrap(),
            Some(now + 1000)
        );
        assert!(
            app.store
                .read(|r| queue::due(r, now, 10))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            delivery_of(&app, &a),
            Delivery::Deferred {
                attempts: 1,
                last_error: "451 busy".into(),
                next_attempt_ms: now + 1000,
            }
        );
        // Second temporary failure doubles the delay.
        app.store
            .write(now, |tx| {
                record(
                    tx,
                    &a,
                    &Outcome::Temporary("again".into()),
                    &[],
                    now,
                    1000,
                    P,
                )
            })
            .unwrap();
        let q = app.store.read(queue::all).unwrap();
        assert_eq!((q[0].attempts, q[0].next_attempt_ms), (2, now + 2000));
        // Sent: removed.
        app.store
            .write(now, |tx| {
                record(tx, &a, &Outcome::Sent("250 ok".into()), &[], now, 1000, P)
            })
            .unwrap();
        assert!(app.store.read(queue::all).unwrap().is_empty());
        assert_eq!(app.store.read(queue::next_due_ms).unwrap(), None);
        assert!(matches!(delivery_of(&app, &a), Delivery::Sent { reply, .. } if reply == "250 ok"));

        // Temporary after the retry period (counted from created_ms): failed.
        let mut b = item(2, now, now + 10_000_000);
        b.created_ms = now - P;
        seed(&app, &b);
        app.store
            .write(now, |tx| {
                record(
                    tx,
                    &b,
                    &Outcome::Temporary("down".into()),
                    &[],
                    now,
                    1000,
                    P,
                )
            })
            .unwrap();
        assert!(app.store.read(queue::all).unwrap().is_empty());
        assert!(
            matches!(delivery_of(&app, &b), Delivery::Failed { reason, .. } if reason.contains("down"))
        );

        // Permanent: failed.
        let c = item(3, now, now + 10_000_000);
        seed(&app, &c);
        app.store
            .write(now, |tx| {
                record(
                    tx,
                    &c,
                    &Outcome::Permanent("550 no".into()),
                    &[],
                    now,
                    1000,
                    P,
                )
            })
            .unwrap();
        assert!(app.store.read(queue::all).unwrap().is_empty());
        assert!(
            matches!(delivery_of(&app, &c), Delivery::Failed { reason, .. } if reason == "550 no")
        );
    }

    #[test]
    fn admin_retry_now_and_cancel() {
        let (_d, app) = setup();
        let now = app.now_ms();
        let mut a = item(11, now + 3_600_000, now + P);
        a.attempts = 2;
        a.last_error = Some("451 later".into());
        seed(&app, &a);
        assert!(
            app.store
                .read(|r| queue::due(r, now, 10))
                .unwrap()
                .is_empty()
        );
        queue::admin_retry(&app, 11).unwrap();
        let due = app.store.read(|r| queue::due(r, now, 10)).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].next_attempt_ms, now);
        assert!(matches!(
            delivery_of(&app, &a),
            Delivery::Deferred { attempts: 2, next_attempt_ms, .. } if next_attempt_ms == now
        ));
        queue::admin_cancel(&app, 11, "boss@t.test").unwrap();
        assert!(app.store.read(queue::all).unwrap().is_empty());
        assert_eq!(app.store.read(queue::next_due_ms).unwrap(), None);
        assert!(matches!(
            delivery_of(&app, &a),
            Delivery::Failed { reason, .. } if reason.starts_with("cancelled by boss@t.test")
        ));
        let e = queue::admin_cancel(&app, 11, "boss@t.test").unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::NotFound);
        assert_eq!(
            queue::admin_retry(&app, 11).unwrap_err().kind,
            crate::error::ErrorKind::NotFound
        );
        // A delivery that finished after the cancel is still recorded as sent.
        app.store
            .write(now, |tx| {
                record(tx, &a, &Outcome::Sent("250 late".into()), &[], now, 1000, P)
            })
            .unwrap();
        assert!(
            matches!(delivery_of(&app, &a), Delivery::Sent { reply, .. } if reply == "250 late")
        );
    }

    #[test]
    fn partial_direct_delivery_keeps_only_the_rest_queued() {
        let (_d, app) = setup();
        let now = app.now_ms();
        let mut a = item(12, now, now + P);
        a.rcpt_to = vec!["x@one.test".into(), "y@two.test".into()];
        seed(&app, &a);
        app.store
            .write(now, |tx| {
                record(
                    tx,
                    &a,
                    &Outcome::Temporary("two.test: 451".into()),
                    &["x@one.test".to_string()],
                    now,
                    1000,
                    P,
                )
            })
            .unwrap();
        let q = app.store.read(queue::all).unwrap();
        assert_eq!(q[0].rcpt_to, vec!["y@two.test".to_string()]);
        assert!(
            q[0].last_error
                .as_deref()
                .unwrap()
                .contains("already delivered to x@one.test")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_relay_mail_stays_queued_with_an_error() {
        let (_d, app) = setup();
        let now = app.now_ms();
        app.store
            .write(0, |tx| {
                settings::save(
                    tx,
                    &Settings {
                        org_name: "X".into(),
                        mailboxes: vec!["support@t.test".into()],
                        relay: None,
                        secret_hex: "00".repeat(32),
                        setup_ms: 0,
                    },
                )?;
                let raw = b"Subject: x\r\n\r\nhi\r\n";
                let sha = crate::helpdesk::ingest::put_blob(tx, raw)?;
                let mut it = item(7, now, now + 10_000_000);
                it.raw_sha256 = sha;
                tx.put_rec(
                    Table::Articles,
                    &be2(it.ticket, it.article),
                    &article(it.ticket, it.article),
                )?;
                queue::enqueue(tx, &it)
            })
            .unwrap();
        assert!(
            process_batch(
                &app,
                app.store.read(|r| queue::due(r, now, 16)).unwrap(),
                1000
            )
            .await
        );
        let q = app.store.read(queue::all).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].last_error.as_deref(), Some(NO_RELAY));
        assert_eq!(q[0].next_attempt_ms, now + 1000);
    }
}
