//! The review: proposals built from what is staged, and what the person
//! decides. Accepting makes the brand (or adds to the one matched) and its
//! records in one transaction, with what it was seen to hold; ignoring
//! remembers the sender so it is not proposed again; merging accepts into
//! a brand the person chooses.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Days, NaiveDate, Utc};

use super::domain::{org_domain, org_label};
use super::markup::{Found, FoundKind};
use super::{
    AcceptOptions, Accepted, Decision, Direction, MESSAGE_DOC, MessageFacts, PROPOSAL_DOC,
    Proposal, ProposalState, ProposedRecord, StagedMessage,
};
use crate::error::{Error, Result};
use crate::model::{
    Brand, BrandId, OBSERVED_DOC, Observed, Record, RecordFilter, RecordId, RecordKind,
    check_fields, check_tags,
};
use crate::vault::audit::AuditAction;
use crate::vault::features::Discovery;

/// The tag every record discovery adds carries, so the person can find
/// (and filter) what came from their mail.
pub const DISCOVERED_TAG: &str = "from-email";
/// Sample subjects shown per proposal.
const SAMPLES: usize = 5;

/// Display names that say what a mail is, not who sent it.
const GENERIC_NAMES: &[&str] = &[
    "no-reply",
    "noreply",
    "no reply",
    "donotreply",
    "do-not-reply",
    "info",
    "news",
    "newsletter",
    "orders",
    "order",
    "support",
    "service",
    "customer service",
    "team",
    "hello",
    "billing",
    "notifications",
    "notification",
    "mailer-daemon",
];

struct Staged {
    states: HashMap<String, ProposalState>,
    messages: BTreeMap<String, Vec<(String, MessageFacts)>>,
}

impl Discovery<'_> {
    fn staged(&mut self) -> Result<Staged> {
        let (states, damaged) = self.vault.docs::<ProposalState>(PROPOSAL_DOC)?;
        let (messages, damaged_msgs) = self.vault.docs::<StagedMessage>(MESSAGE_DOC)?;
        if let Some(id) = damaged.first().or(damaged_msgs.first()) {
            return Err(Error::Tampered {
                table: "documents",
                id: id.clone(),
            });
        }
        let mut by_proposal: BTreeMap<String, Vec<(String, MessageFacts)>> = BTreeMap::new();
        for m in messages {
            if let Some(f) = m.facts {
                by_proposal.entry(m.proposal).or_default().push((m.id, f));
            }
        }
        for list in by_proposal.values_mut() {
            list.sort_by(|a, b| a.1.at.cmp(&b.1.at).then(a.0.cmp(&b.0)));
        }
        Ok(Staged {
            states: states.into_iter().map(|s| (s.id.clone(), s)).collect(),
            messages: by_proposal,
        })
    }

    /// Every proposal waiting for the person, by name.
    pub fn list(&mut self) -> Result<Vec<Proposal>> {
        self.build(AcceptOptions::default())
    }

    fn build(&mut self, opts: AcceptOptions) -> Result<Vec<Proposal>> {
        let staged = self.staged()?;
        let brands = self.vault.brands()?;
        let mut out = Vec::new();
        for (id, messages) in &staged.messages {
            let Some(state) = staged.states.get(id) else {
                continue;
            };
            let existing = match &state.decision {
                Decision::Ignored => continue,
                Decision::Brand(b) if brands.iter().any(|x| &x.id == b) => Some(b.clone()),
                _ => None,
            };
            let name = name_for(&state.domain, messages);
            let existing = existing.or_else(|| match_brand(&brands, &state.domain, &name));
            let existing_records = match &existing {
                Some(b) => self.vault.list_records(&RecordFilter {
                    brand: Some(b.to_string()),
                    ..Default::default()
                })?,
                None => Vec::new(),
            };
            out.push(proposal(
                id,
                state,
                name,
                existing,
                messages,
                &existing_records,
                opts,
            ));
        }
        out.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.domain.cmp(&b.domain))
        });
        Ok(out)
    }

    /// Resolve ids (or unique prefixes) to proposals waiting now.
    fn pick(&mut self, ids: &[&str], opts: AcceptOptions) -> Result<Vec<Proposal>> {
        let all = self.build(opts)?;
        let mut picked: Vec<Proposal> = Vec::new();
        for given in ids {
            let g = given.trim().to_ascii_lowercase();
            let matches: Vec<&Proposal> = all
                .iter()
                .filter(|p| !g.is_empty() && p.id.starts_with(&g))
                .collect();
            match matches.as_slice() {
                [one] => {
                    if !picked.iter().any(|p| p.id == one.id) {
                        picked.push((*one).clone());
                    }
                }
                [] => return Err(Error::ProposalNotFound(given.to_string())),
                many => {
                    return Err(Error::invalid_field(
                        "id",
                        format!(
                            "{given} could mean more than one proposal: {}; give more of the id",
                            many.iter()
                                .map(|p| p.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(picked)
    }

    /// Accept proposals (all waiting ones when `ids` is empty and `all`):
    /// each becomes a brand (or adds to the brand it matched) with its
    /// records, in one transaction.
    pub fn accept(&mut self, ids: &[&str], all: bool, opts: AcceptOptions) -> Result<Accepted> {
        let picked = if all {
            self.build(opts)?
        } else {
            if ids.is_empty() {
                return Err(Error::invalid_field(
                    "id",
                    "name a proposal, or accept --all",
                ));
            }
            self.pick(ids, opts)?
        };
        self.apply(picked, None, opts)
    }

    /// Accept one proposal into a brand the person names (by id, prefix or
    /// name); later mail from its domain goes to that brand too.
    pub fn merge(&mut self, id: &str, into: &str, opts: AcceptOptions) -> Result<Accepted> {
        let brand = self.vault.brand(into)?;
        let mut picked = self.pick(&[id], opts)?;
        for p in &mut picked {
            p.existing_brand = Some(brand.id.clone());
        }
        // The records were built against the matched brand's records: build
        // them again against the chosen one's, so nothing is added twice.
        let existing = self.vault.list_records(&RecordFilter {
            brand: Some(brand.id.to_string()),
            ..Default::default()
        })?;
        let staged = self.staged()?;
        for p in &mut picked {
            if let (Some(state), Some(messages)) =
                (staged.states.get(&p.id), staged.messages.get(&p.id))
            {
                *p = proposal(
                    &p.id,
                    state,
                    p.name.clone(),
                    Some(brand.id.clone()),
                    messages,
                    &existing,
                    opts,
                );
            }
        }
        self.apply(picked, Some(brand), opts)
    }

    /// Ignore proposals: their staged mail is dropped and their senders are
    /// not proposed again.
    pub fn ignore(&mut self, ids: &[&str]) -> Result<u32> {
        if ids.is_empty() {
            return Err(Error::invalid_field("id", "name a proposal to ignore"));
        }
        let picked = self.pick(ids, AcceptOptions::default())?;
        let staged = self.staged()?;
        let n = picked.len() as u32;
        self.vault.write_batch(|batch| {
            for p in &picked {
                if let Some(state) = staged.states.get(&p.id) {
                    let mut state = state.clone();
                    state.decision = Decision::Ignored;
                    batch.put_doc(PROPOSAL_DOC, &state.id, None, &state)?;
                }
                for (id, _) in staged.messages.get(&p.id).into_iter().flatten() {
                    batch.put_doc(MESSAGE_DOC, id, None, &seen_only(id, &p.id))?;
                }
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// How to leave a brand's mailing list, as its mail said.
    pub fn unsubscribe(&mut self, brand: &str) -> Result<Option<crate::model::Unsubscribe>> {
        Ok(self.observed(brand)?.unsubscribe)
    }

    /// Leave a brand's mailing list the RFC 8058 way: one POST of
    /// `List-Unsubscribe=One-Click` to the https target its mail gave,
    /// without cookies or credentials, following no redirect. Only when its
    /// mail offered one-click; returns the status the server answered.
    /// ([`Discovery::one_click_target`], then [`OneClickTarget::post`].)
    #[cfg(feature = "http")]
    pub fn unsubscribe_one_click(&mut self, brand: &str) -> Result<u16> {
        self.one_click_target(brand)?.post()
    }

    /// Where a one-click unsubscription from `brand` goes: the target its
    /// mail gave, when it offered one-click (else an [`Error::Invalid`]
    /// about `brand`). Posting it needs no vault, so the app posts without
    /// holding the session (a slow server must not keep the vault from
    /// locking).
    #[cfg(feature = "http")]
    pub fn one_click_target(&mut self, brand: &str) -> Result<OneClickTarget> {
        self.unsubscribe(brand)?
            .filter(|u| u.one_click)
            .and_then(|u| u.https)
            .map(|url| OneClickTarget { url })
            .ok_or_else(|| {
                Error::invalid_field(
                    "brand",
                    "this brand's mail does not offer one-click unsubscription; use its link or address",
                )
            })
    }

    /// What a brand was seen to hold, from the person's mail.
    pub fn observed(&mut self, brand: &str) -> Result<Observed> {
        let brand = self.vault.brand(brand)?;
        Ok(self
            .vault
            .exact_doc::<Observed>(OBSERVED_DOC, &brand.id)?
            .unwrap_or_default())
    }

    fn apply(
        &mut self,
        picked: Vec<Proposal>,
        into: Option<Brand>,
        opts: AcceptOptions,
    ) -> Result<Accepted> {
        let staged = self.staged()?;
        let now = Utc::now();
        let mut accepted = Accepted::default();
        let mut brands = self.vault.brands()?;
        self.vault.write_batch(|batch| {
            for p in &picked {
                let brand = match (&into, &p.existing_brand) {
                    (Some(b), _) => b.clone(),
                    (None, Some(id)) => match brands.iter().find(|b| &b.id == id) {
                        Some(b) => b.clone(),
                        None => return Err(Error::BrandNotFound(id.to_string())),
                    },
                    (None, None) => {
                        let brand = Brand {
                            domain: Some(p.domain.clone()),
                            ..Brand::new(free_name(&brands, &p.name, &p.domain), now)
                        };
                        batch.add_brand(&brand)?;
                        brands.push(brand.clone());
                        accepted.brands_new += 1;
                        brand
                    }
                };
                if into.is_some() || p.existing_brand.is_some() {
                    accepted.brands_updated += 1;
                }
                let tags = check_tags(&[DISCOVERED_TAG.to_string()])?;
                for r in &p.records {
                    let record = Record {
                        id: RecordId::random(),
                        kind: r.kind,
                        brand: Some(brand.id.clone()),
                        fields: check_fields(r.kind, &r.fields)?,
                        tags: tags.clone(),
                        created_at: now,
                        updated_at: now,
                    };
                    batch.add_record(&record)?;
                    *accepted
                        .records
                        .entry(r.kind.as_str().to_string())
                        .or_default() += 1;
                }
                let mut observed: Observed =
                    batch.doc(OBSERVED_DOC, &brand.id)?.unwrap_or_default();
                let messages = staged.messages.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
                for (_, f) in messages {
                    for a in &f.holds {
                        observed.saw("email", a, f.at.date_naive());
                    }
                }
                if let Some(u) = messages
                    .iter()
                    .rev()
                    .find_map(|(_, f)| f.unsubscribe.clone())
                {
                    observed.unsubscribe = Some(u);
                }
                batch.put_doc(OBSERVED_DOC, &brand.id, Some(&brand.id), &observed)?;
                for (id, _) in messages {
                    batch.put_doc(MESSAGE_DOC, id, None, &seen_only(id, &p.id))?;
                }
                if let Some(state) = staged.states.get(&p.id) {
                    let mut state = state.clone();
                    state.decision = Decision::Brand(brand.id.clone());
                    batch.put_doc(PROPOSAL_DOC, &state.id, None, &state)?;
                }
                batch.audit(
                    AuditAction::DiscoveryAccepted,
                    Some(&brand.id),
                    format!(
                        "accepted from email: {} messages, {} records{}",
                        messages.len(),
                        p.records.len(),
                        if opts.collapse_threads {
                            " (threads collapsed)"
                        } else {
                            ""
                        }
                    ),
                )?;
            }
            Ok(())
        })?;
        Ok(accepted)
    }
}

fn seen_only(id: &str, proposal: &str) -> StagedMessage {
    StagedMessage {
        id: id.to_string(),
        proposal: proposal.to_string(),
        facts: None,
    }
}

/// A brand matched by domain (its own domain's organisation), else by name.
fn match_brand(brands: &[Brand], domain: &str, name: &str) -> Option<BrandId> {
    brands
        .iter()
        .find(|b| {
            b.domain
                .as_deref()
                .and_then(org_domain)
                .is_some_and(|d| d == domain)
        })
        .or_else(|| {
            brands
                .iter()
                .find(|b| b.name.to_lowercase() == name.to_lowercase())
        })
        .map(|b| b.id.clone())
}

/// The name free among `brands`: the proposed one, else with its domain.
fn free_name(brands: &[Brand], name: &str, domain: &str) -> String {
    let taken = |n: &str| {
        brands
            .iter()
            .any(|b| b.name.to_lowercase() == n.to_lowercase())
    };
    if !taken(name) {
        return name.to_string();
    }
    let with_domain = format!("{name} ({domain})");
    if !taken(&with_domain) {
        return with_domain;
    }
    domain.to_string()
}

/// The brand's name, from the display names its mail carries and its
/// domain: the words of a display name that spell the domain's label
/// ("Shop Orders" from shop.co.uk → "Shop"), else the most common display
/// name that is not generic, else the label with a capital.
pub(crate) fn name_for(domain: &str, messages: &[(String, MessageFacts)]) -> String {
    let label = org_label(domain).to_lowercase();
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, f) in messages {
        if let (Direction::Inbound, Some(n)) = (f.direction, f.name.as_deref()) {
            *counts.entry(n).or_default() += 1;
        }
    }
    let mut names: Vec<(&str, usize)> = counts.into_iter().collect();
    names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let label_squashed = squash(&label);
    for (n, _) in &names {
        let words: Vec<&str> = n.split_whitespace().collect();
        for end in 1..=words.len() {
            let prefix = words[..end].join(" ");
            if squash(&prefix) == label_squashed {
                return prefix;
            }
        }
    }
    if let Some((n, _)) = names
        .iter()
        .find(|(n, _)| !GENERIC_NAMES.contains(&n.to_lowercase().as_str()))
    {
        return n.to_string();
    }
    let mut chars = label.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => domain.to_string(),
    }
}

fn proposal(
    id: &str,
    state: &ProposalState,
    name: String,
    existing: Option<BrandId>,
    messages: &[(String, MessageFacts)],
    existing_records: &[Record],
    opts: AcceptOptions,
) -> Proposal {
    let mut senders = BTreeSet::new();
    let mut holds = BTreeSet::new();
    let mut threads: HashMap<&str, u32> = HashMap::new();
    let (mut inbound, mut outbound, mut marketing) = (0, 0, 0);
    for (_, f) in messages {
        senders.insert(f.address.clone());
        holds.extend(f.holds.iter().cloned());
        *threads.entry(&f.thread).or_default() += 1;
        match f.direction {
            Direction::Inbound => inbound += 1,
            Direction::Outbound => outbound += 1,
        }
        if f.purpose == "marketing" {
            marketing += 1;
        }
    }
    let first = messages.first().map(|(_, f)| f.at.date_naive());
    let last = messages.last().map(|(_, f)| f.at.date_naive());
    let records = records_for(messages, existing_records, opts);
    let orders = records
        .iter()
        .filter(|r| r.kind == RecordKind::Purchase)
        .count() as u32;
    Proposal {
        id: id.to_string(),
        name,
        domain: state.domain.clone(),
        senders: senders.into_iter().collect(),
        existing_brand: existing,
        messages: messages.len() as u32,
        inbound,
        outbound,
        marketing,
        orders,
        holds: holds.into_iter().collect(),
        first_seen: first.unwrap_or_default(),
        last_seen: last.unwrap_or_default(),
        unsubscribe: messages
            .iter()
            .rev()
            .find_map(|(_, f)| f.unsubscribe.clone()),
        samples: messages
            .iter()
            .rev()
            .map(|(_, f)| f.subject.clone())
            .filter(|s| !s.is_empty())
            .take(SAMPLES)
            .collect(),
        threads: threads.values().filter(|&&n| n > 1).count() as u32,
        records,
    }
}

fn fields(pairs: &[(&str, Option<String>)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
        .collect()
}

fn money(f: &Found) -> Option<String> {
    match (&f.price, &f.currency) {
        (Some(p), Some(c)) => Some(format!("{p} {c}")),
        (Some(p), None) => Some(p.clone()),
        _ => None,
    }
}

/// The records a proposal's messages make: an interaction per message (or
/// per thread), a purchase per item the markup states, a subscription
/// where the same item was billed at a steady interval, an account per
/// sign-up confirmation; none that the brand's records already hold.
fn records_for(
    messages: &[(String, MessageFacts)],
    existing: &[Record],
    opts: AcceptOptions,
) -> Vec<ProposedRecord> {
    let mut out = Vec::new();
    let mut done_threads: HashMap<&str, ()> = HashMap::new();
    for (_, f) in messages {
        if opts.collapse_threads && done_threads.insert(&f.thread, ()).is_some() {
            continue;
        }
        let summary = if f.subject.is_empty() {
            "(no subject)".to_string()
        } else {
            f.subject.clone()
        };
        out.push(ProposedRecord {
            kind: RecordKind::Interaction,
            fields: fields(&[
                ("channel", Some("email".into())),
                ("direction", Some(f.direction.as_str().into())),
                ("date", Some(f.at.date_naive().to_string())),
                ("summary", Some(summary)),
                ("purpose", Some(f.purpose.clone())),
                ("contact", Some(f.address.clone())),
            ]),
            thread: Some(f.thread.clone()),
        });
    }

    // Purchases: one per (order number, item); a delivery adds one only
    // for an order no confirmation stated.
    let has = |kind: RecordKind, key: &str, value: &str| {
        existing.iter().any(|r| {
            r.kind == kind
                && r.fields
                    .get(key)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
        })
    };
    let mut bought: Vec<(Option<String>, String)> = Vec::new();
    let mut billed: Vec<(String, Option<String>, NaiveDate)> = Vec::new();
    let order_numbers: BTreeSet<String> = messages
        .iter()
        .flat_map(|(_, f)| &f.found)
        .filter(|x| x.kind == FoundKind::Order)
        .filter_map(|x| x.order_number.clone())
        .collect();
    for (_, f) in messages {
        for x in &f.found {
            if x.kind == FoundKind::ParcelDelivery
                && x.order_number
                    .as_ref()
                    .is_none_or(|n| order_numbers.contains(n))
            {
                continue;
            }
            let Some(item) = x
                .item
                .clone()
                .or_else(|| x.order_number.as_ref().map(|n| format!("Order {n}")))
            else {
                continue;
            };
            let key = (x.order_number.clone(), item.to_lowercase());
            if bought.contains(&key) {
                continue;
            }
            let already = existing.iter().any(|r| {
                r.kind == RecordKind::Purchase
                    && r.fields
                        .get("item")
                        .is_some_and(|i| i.eq_ignore_ascii_case(&item))
                    && r.fields.get("order") == x.order_number.as_ref()
            });
            bought.push(key);
            let date = x.date.unwrap_or(f.at.date_naive());
            if x.kind != FoundKind::ParcelDelivery {
                billed.push((item.clone(), money(x), date));
            }
            if already {
                continue;
            }
            out.push(ProposedRecord {
                kind: RecordKind::Purchase,
                fields: fields(&[
                    ("item", Some(item)),
                    ("date", Some(date.to_string())),
                    ("price", money(x)),
                    ("order", x.order_number.clone()),
                    ("store", x.merchant.clone()),
                ]),
                thread: None,
            });
        }
    }

    for (plan, price, period, first, last) in recurring(&billed) {
        if has(RecordKind::Subscription, "plan", &plan) {
            continue;
        }
        let renews = last.checked_add_days(Days::new(period_days(period)));
        out.push(ProposedRecord {
            kind: RecordKind::Subscription,
            fields: fields(&[
                ("plan", Some(plan)),
                ("price", price),
                ("period", Some(period.to_string())),
                ("date", Some(first.to_string())),
                ("renews", renews.map(|d| d.to_string())),
            ]),
            thread: None,
        });
    }

    let mut accounts: BTreeSet<&str> = BTreeSet::new();
    for (_, f) in messages {
        if !f.signup {
            continue;
        }
        let [email] = f.holds.as_slice() else {
            continue;
        };
        if !accounts.insert(email) || has(RecordKind::Account, "email", email) {
            continue;
        }
        out.push(ProposedRecord {
            kind: RecordKind::Account,
            fields: fields(&[
                ("email", Some(email.clone())),
                ("date", Some(f.at.date_naive().to_string())),
            ]),
            thread: None,
        });
    }
    out
}

fn period_days(period: &str) -> u64 {
    match period {
        "weekly" => 7,
        "monthly" => 30,
        "quarterly" => 91,
        _ => 365,
    }
}

/// Items billed at the same price at least three times at a steady
/// interval (every gap within a fifth of the median, which names the
/// period): (plan, price, period, first, last).
fn recurring(
    billed: &[(String, Option<String>, NaiveDate)],
) -> Vec<(String, Option<String>, &'static str, NaiveDate, NaiveDate)> {
    let mut groups: BTreeMap<(String, Option<String>), Vec<NaiveDate>> = BTreeMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for (item, price, date) in billed {
        let key = item.to_lowercase();
        names.entry(key.clone()).or_insert_with(|| item.clone());
        groups.entry((key, price.clone())).or_default().push(*date);
    }
    let mut out = Vec::new();
    for ((key, price), mut dates) in groups {
        dates.sort();
        dates.dedup();
        if dates.len() < 3 {
            continue;
        }
        let mut gaps: Vec<i64> = dates.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
        gaps.sort();
        let median = gaps[gaps.len() / 2];
        let period = match median {
            6..=8 => "weekly",
            27..=33 => "monthly",
            85..=97 => "quarterly",
            350..=380 => "yearly",
            _ => continue,
        };
        if gaps.iter().all(|g| (g - median).abs() * 5 <= median) {
            let first = dates[0];
            let last = dates[dates.len() - 1];
            out.push((names[&key].clone(), price, period, first, last));
        }
    }
    out
}

/// A brand's RFC 8058 one-click unsubscription address, as its mail gave it
/// and the vault kept it: made only by [`Discovery::one_click_target`], so
/// a shell cannot post to an address of its own. Its `Debug` leaves the
/// address out (it often carries a token naming the person).
#[cfg(feature = "http")]
#[derive(Clone)]
pub struct OneClickTarget {
    url: String,
}

#[cfg(feature = "http")]
impl std::fmt::Debug for OneClickTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneClickTarget").finish_non_exhaustive()
    }
}

#[cfg(feature = "http")]
impl OneClickTarget {
    /// POST `List-Unsubscribe=One-Click` to it, without cookies or
    /// credentials, following no redirect, giving up after 15 seconds.
    /// Returns the status the server answered (2xx); any other answer, or
    /// none, is an [`Error::Invalid`].
    pub fn post(&self) -> Result<u16> {
        // An address from a mail: never one on the person's own network.
        let agent = crate::net::agent(std::time::Duration::from_secs(15), false);
        let resp = agent
            .post(&self.url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send("List-Unsubscribe=One-Click")
            .map_err(|e| Error::invalid(format!("cannot reach the unsubscribe address: {e}")))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            Ok(status)
        } else {
            Err(Error::invalid(format!(
                "the unsubscribe address answered {status}; use its link instead"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Issue 13, 5: an unsubscribe address from a mail never reaches the
    /// person's own network.
    #[cfg(feature = "http")]
    #[test]
    fn a_one_click_address_on_a_private_network_is_not_posted_to() {
        for url in ["https://192.168.1.1/unsubscribe", "https://[fe80::1]/u"] {
            let err = OneClickTarget { url: url.into() }.post().unwrap_err();
            assert!(
                err.to_string().contains("private or local network"),
                "{url}: {err}"
            );
        }
    }

    fn facts(name: Option<&str>, day: u32) -> (String, MessageFacts) {
        (
            format!("m{day}"),
            MessageFacts {
                address: "news@shop.co.uk".into(),
                name: name.map(str::to_string),
                direction: Direction::Inbound,
                at: Utc.with_ymd_and_hms(2026, 1, day, 9, 0, 0).unwrap(),
                subject: format!("Mail {day}"),
                purpose: "service".into(),
                thread: format!("t{day}"),
                holds: vec!["jane@example.org".into()],
                unsubscribe: None,
                found: vec![],
                signup: false,
            },
        )
    }

    #[test]
    fn names_come_from_display_names_that_spell_the_domain() {
        let m = [facts(Some("Shop Orders"), 1), facts(Some("Shop News"), 2)];
        assert_eq!(name_for("shop.co.uk", &m), "Shop");
        let m = [facts(Some("ACME Corp Billing"), 1)];
        assert_eq!(name_for("acmecorp.com", &m), "ACME Corp");
        let m = [facts(Some("no-reply"), 1), facts(Some("Fancy Brand"), 2)];
        assert_eq!(name_for("fb-mail.com", &m), "Fancy Brand");
        let m = [facts(Some("no-reply"), 1), facts(None, 2)];
        assert_eq!(name_for("shop.co.uk", &m), "Shop");
    }

    #[test]
    fn steady_receipts_are_a_subscription_and_irregular_ones_are_not() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let p = Some("9.99 GBP".to_string());
        let billed = vec![
            ("Music Plus".to_string(), p.clone(), d(1, 3)),
            ("music plus".to_string(), p.clone(), d(2, 3)),
            ("Music Plus".to_string(), p.clone(), d(3, 4)),
            ("Once".to_string(), p.clone(), d(1, 1)),
            ("Once".to_string(), p.clone(), d(1, 9)),
            ("Once".to_string(), p.clone(), d(4, 9)),
        ];
        let r = recurring(&billed);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, "Music Plus");
        assert_eq!(r[0].2, "monthly");
        assert_eq!((r[0].3, r[0].4), (d(1, 3), d(3, 4)));
        assert!(recurring(&billed[..2]).is_empty());
    }

    #[test]
    fn one_interaction_per_message_or_per_thread() {
        let mut m = vec![facts(None, 1), facts(None, 2), facts(None, 3)];
        m[1].1.thread = "t1".into();
        let each = records_for(&m, &[], AcceptOptions::default());
        assert_eq!(each.len(), 3);
        let collapsed = records_for(
            &m,
            &[],
            AcceptOptions {
                collapse_threads: true,
            },
        );
        assert_eq!(collapsed.len(), 2);
        assert_eq!(collapsed[0].fields["summary"], "Mail 1");
    }
}
