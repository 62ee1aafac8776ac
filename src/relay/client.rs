//! Talking to relays (NIP-01): publishing an event and reading what a
//! subscription holds, to several relays at once (a thread each), each with
//! its own outcome. A relay that is down, slow or misbehaving costs its
//! timeout and is reported; the others' answers are used.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use nostr::prelude::{
    ClientMessage, Event, EventId, Filter, MatchEventOptions, RelayMessage, SubscriptionId,
};

use super::conn::Socket;
use super::{MAX_EVENT_BYTES, Publish, PublishStatus, RelayUrl, RelayedEvent};
use crate::error::{Error, Result};

/// Publish `event` to every relay at once; one outcome per relay, in the
/// order given.
pub fn publish_all(relays: &[RelayUrl], event: &Event, timeout: Duration) -> Vec<Publish> {
    std::thread::scope(|s| {
        let handles: Vec<_> = relays
            .iter()
            .map(|relay| s.spawn(move || publish_one(relay, event, timeout)))
            .collect();
        handles
            .into_iter()
            .zip(relays)
            .map(|(h, relay)| Publish {
                relay: relay.clone(),
                status: h.join().unwrap_or_else(|_| PublishStatus::Unreachable {
                    reason: "internal error".into(),
                }),
            })
            .collect()
    })
}

fn publish_one(relay: &RelayUrl, event: &Event, timeout: Duration) -> PublishStatus {
    let deadline = Instant::now() + timeout;
    let unreachable = |e: Error| PublishStatus::Unreachable {
        reason: match e {
            Error::Relay { reason, .. } => reason,
            other => other.to_string(),
        },
    };
    let mut socket = match Socket::open(relay, timeout) {
        Ok(s) => s,
        Err(e) => return unreachable(e),
    };
    if let Err(e) = socket.send(ClientMessage::event(event.clone()).as_json()) {
        return unreachable(e);
    }
    loop {
        match socket.next_text(deadline) {
            Ok(Some(text)) => {
                if let Ok(RelayMessage::Ok {
                    event_id,
                    status,
                    message,
                }) = RelayMessage::from_json(&text)
                    && event_id == event.id
                {
                    socket.close();
                    return outcome(status, &message);
                }
                // NOTICEs, AUTH challenges and the like: not the answer.
            }
            Ok(None) => {
                socket.close();
                return PublishStatus::Unreachable {
                    reason: "no answer in time".into(),
                };
            }
            Err(e) => return unreachable(e),
        }
    }
}

/// What a relay's `OK` says. A duplicate is held, whatever the flag: NIP-01
/// has relays answer `true` with `duplicate:`, and some (the Python
/// `nostr-relay`) answer `false`; a retry to a relay that took the event
/// before must not read as refused.
fn outcome(status: bool, message: &str) -> PublishStatus {
    let message = clean(message);
    if status || message.starts_with("duplicate:") {
        PublishStatus::Accepted {
            message: Some(message).filter(|m| !m.is_empty()),
        }
    } else {
        PublishStatus::Rejected {
            reason: if message.is_empty() {
                "refused, no reason given".into()
            } else {
                message
            },
        }
    }
}

/// A relay's text shown to the person: one line, printable, not too long.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect::<String>()
        .trim()
        .to_string()
}

/// What reading from several relays gave.
#[derive(Debug, Default)]
pub struct RelayQuery {
    /// Each event once, in the order first received.
    pub events: Vec<RelayedEvent>,
    /// Relays that could not be read, and why.
    pub failed: Vec<(RelayUrl, String)>,
    /// Events refused, and why (with the relay that sent them).
    pub refused: Vec<(RelayUrl, String)>,
}

/// One relay's answer to a query: whether it was read to the end, the
/// events it sent (each checked), and the reasons events were refused.
type RelayRead = (RelayUrl, Result<()>, Vec<Event>, Vec<String>);

/// Read, from every relay at once, the stored events matching `filters`
/// (until each says it has sent them all, or `timeout`). Every event is
/// checked (size, id, signature, and that it matches what was asked) before
/// it is returned; events are returned once however many relays had them.
/// A relay that fails after sending some (it never says it has sent all it
/// holds, or closes the subscription) is listed in `failed`, and what it
/// sent is kept.
pub fn query_all(relays: &[RelayUrl], filters: &[Filter], timeout: Duration) -> RelayQuery {
    // What each relay sent counts even when it then fails (it never says
    // it sent all it holds, or closes): each event was checked on its own.
    let per_relay: Vec<RelayRead> = std::thread::scope(|s| {
        let handles: Vec<_> = relays
            .iter()
            .map(|relay| {
                s.spawn(move || {
                    let mut events = Vec::new();
                    let mut refused = Vec::new();
                    let r = subscribe(relay, filters, timeout, false, &mut |got| {
                        match got {
                            Ok(e) => events.push(e),
                            Err(why) => refused.push(why),
                        }
                        ControlFlow::Continue(())
                    });
                    (relay.clone(), r, events, refused)
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(relays)
            .map(|(h, relay)| {
                h.join().unwrap_or_else(|_| {
                    (
                        relay.clone(),
                        Err(Error::Relay {
                            relay: relay.to_string(),
                            reason: "internal error".into(),
                        }),
                        Vec::new(),
                        Vec::new(),
                    )
                })
            })
            .collect()
    });
    let mut out = RelayQuery::default();
    let mut at: BTreeMap<EventId, usize> = BTreeMap::new();
    for (relay, read, events, refused) in per_relay {
        out.refused
            .extend(refused.into_iter().map(|why| (relay.clone(), why)));
        for event in events {
            match at.get(&event.id) {
                Some(&i) => out.events[i].relays.push(relay.clone()),
                None => {
                    at.insert(event.id, out.events.len());
                    out.events.push(RelayedEvent {
                        event,
                        relays: vec![relay.clone()],
                    });
                }
            }
        }
        match read {
            Ok(()) => {}
            Err(Error::Relay { reason, .. }) => out.failed.push((relay, reason)),
            Err(e) => out.failed.push((relay, e.to_string())),
        }
    }
    out
}

/// Subscribe to `filters` on one relay and hand each event (checked) or the
/// reason it was refused to `on_event`, until the relay has sent what it
/// stores (unless `live`) or `on_event` breaks. A relay that has not sent
/// all it stores within `timeout` (for a live subscription: that says
/// nothing at all for that long), or closes the subscription, is an error.
pub(crate) fn subscribe(
    relay: &RelayUrl,
    filters: &[Filter],
    timeout: Duration,
    live: bool,
    on_event: &mut dyn FnMut(std::result::Result<Event, String>) -> ControlFlow<()>,
) -> Result<()> {
    let mut socket = Socket::open(relay, timeout)?;
    let sub = SubscriptionId::generate();
    socket.send(ClientMessage::req(sub.clone(), filters.to_vec()).as_json())?;
    let mut deadline = Instant::now() + timeout;
    loop {
        let Some(text) = socket.next_text(deadline)? else {
            // A relay that has not said it sent all it holds is reported:
            // what it sent may not be all.
            return Err(Error::Relay {
                relay: relay.to_string(),
                reason: if live {
                    "silent for too long".into()
                } else {
                    "did not send all it holds in time".into()
                },
            });
        };
        if live {
            deadline = Instant::now() + timeout;
        }
        if text.len() > MAX_EVENT_BYTES + 200 {
            if on_event(Err(format!(
                "a message of {} bytes, over the {MAX_EVENT_BYTES}-byte limit",
                text.len()
            )))
            .is_break()
            {
                break;
            }
            continue;
        }
        match RelayMessage::from_json(&text) {
            Ok(RelayMessage::Event {
                subscription_id,
                event,
            }) if subscription_id.as_ref() == &sub => {
                let event = event.into_owned();
                let verdict = check_event(&event, filters);
                if on_event(verdict.map(|()| event)).is_break() {
                    break;
                }
            }
            Ok(RelayMessage::EndOfStoredEvents(id)) if id.as_ref() == &sub && !live => break,
            Ok(RelayMessage::Closed {
                subscription_id,
                message,
            }) if subscription_id.as_ref() == &sub => {
                return Err(Error::Relay {
                    relay: relay.to_string(),
                    reason: format!("the relay closed the subscription: {}", clean(&message)),
                });
            }
            Ok(_) => {}
            // An event that does not parse: a bad id or signature field, or
            // not JSON at all.
            Err(e) if text.starts_with("[\"EVENT\"") => {
                if on_event(Err(format!("an event that does not parse ({e})"))).is_break() {
                    break;
                }
            }
            Err(_) => {}
        }
    }
    socket.send(ClientMessage::close(sub).as_json()).ok();
    socket.close();
    Ok(())
}

/// An event a relay sent: its id is its hash, its signature holds, and it
/// matches one of the filters asked (a relay may not slip in others).
fn check_event(event: &Event, filters: &[Filter]) -> std::result::Result<(), String> {
    if event.verify().is_err() {
        return Err(format!(
            "event {} has a bad id or signature",
            short(&event.id.to_hex())
        ));
    }
    if !filters
        .iter()
        .any(|f| f.match_event(event, MatchEventOptions::new()))
    {
        return Err(format!(
            "event {} is not what was asked for",
            short(&event.id.to_hex())
        ));
    }
    Ok(())
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_is_held_whatever_the_flag_and_a_refusal_says_why() {
        assert_eq!(outcome(true, ""), PublishStatus::Accepted { message: None });
        for flag in [true, false] {
            assert_eq!(
                outcome(flag, "duplicate: exists"),
                PublishStatus::Accepted {
                    message: Some("duplicate: exists".into())
                }
            );
        }
        assert_eq!(
            outcome(false, "blocked: pay\nfirst"),
            PublishStatus::Rejected {
                reason: "blocked: pay first".into()
            }
        );
        assert_eq!(
            outcome(false, ""),
            PublishStatus::Rejected {
                reason: "refused, no reason given".into()
            }
        );
    }
}
