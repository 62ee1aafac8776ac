//! Schema.org markup in an email's HTML body: what orders, invoices, parcel
//! deliveries and reservations a message states, as the sender put them in
//! JSON-LD (`<script type="application/ld+json">`) or Microdata
//! (`itemscope`/`itemprop`), the markup mail clients read for their cards.
//!
//! The HTML comes from anyone who can send mail, so everything here is
//! bounded: the page's size, the scripts and items considered, how deep a
//! walk goes, how long a string is kept. Nothing is guessed either: a value
//! the markup does not state plainly ("£12.34", "1,234.50", a date that is
//! not ISO 8601) is `None`, not a best effort.
//!
//! Both syntaxes are read into one shape (a JSON value: Microdata items
//! become objects whose properties are arrays), and one interpreter reads
//! that, so JSON-LD and Microdata agree on every rule.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use chrono::NaiveDate;
use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::text::is_hidden;

/// The most results one message yields: a real order mail lists a few items,
/// and a message listing thousands is not a receipt.
pub const MAX_FOUND: usize = 50;

/// The largest HTML the caller passes (it truncates before calling);
/// [`extract`] cuts anything longer to this too, so its work stays bounded
/// whoever calls it.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

/// What one piece of schema.org markup in a message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundKind {
    /// A purchase (`Order`).
    Order,
    /// A bill (`Invoice`).
    Invoice,
    /// A shipment (`ParcelDelivery`).
    ParcelDelivery,
    /// A booking (`Reservation` or a subtype: `FlightReservation`,
    /// `LodgingReservation`, `FoodEstablishmentReservation`…).
    Reservation,
}

/// One thing bought, billed, shipped or booked, as the markup states it.
/// Nothing here is guessed: a field the markup does not give is None.
///
/// Every string is trimmed, its whitespace collapsed to single spaces,
/// control and invisible format characters removed, and cut to 200
/// characters; an empty one is None.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// What the markup is.
    pub kind: FoundKind,
    /// The item's name: Order → orderedItem / acceptedOffer.itemOffered name (one Found per item);
    /// Invoice → referencesOrder's item name, else `description`; ParcelDelivery → itemShipped name;
    /// Reservation → reservationFor name (e.g. hotel/flight/restaurant name, a FlightReservation's "flightNumber" if no name).
    pub item: Option<String>,
    /// orderNumber; Invoice: confirmationNumber or referencesOrder.orderNumber; ParcelDelivery: partOfOrder.orderNumber; Reservation: reservationNumber.
    pub order_number: Option<String>,
    /// The price as a plain decimal string ("12.34", no currency sign, no thousands separators), from price / totalPrice / totalPaymentDue / PriceSpecification.price / MonetaryAmount.value. Per item when the markup prices items; for a one-item order with only a total, the total. A price that is not a plain number is None.
    pub price: Option<String>,
    /// ISO 4217 code, upper case (priceCurrency / currency), only if 3 ASCII letters.
    pub currency: Option<String>,
    /// The seller's name: merchant / seller / provider / broker (a string
    /// or an Organization's name). A ParcelDelivery's is its order's
    /// seller, never the carrier; a Reservation's is its provider, else
    /// the reserved thing's airline, provider or brand, else the reserved
    /// place itself when it is a business (a hotel, a restaurant).
    pub merchant: Option<String>,
    /// orderDate; Invoice: paymentDueDate (or billingPeriod start); ParcelDelivery: expectedArrivalFrom/Until; Reservation: the reserved thing's startDate/checkinTime/departureTime — only the date part, from ISO 8601 (date or date-time).
    pub date: Option<NaiveDate>,
    /// ParcelDelivery trackingNumber.
    pub tracking: Option<String>,
}

/// Everything schema.org markup in `html` states about orders, invoices,
/// parcel deliveries and reservations (subtypes of Reservation such as
/// FlightReservation, LodgingReservation, FoodEstablishmentReservation count
/// as Reservation; `http://schema.org/`, `https://schema.org/` and bare type
/// names all count), from JSON-LD (`<script type="application/ld+json">`, an
/// object, an array, or an `@graph`) and from Microdata (`itemscope
/// itemtype=… itemprop=…`, nested itemscopes, values from `content`, `href`,
/// `datetime`, `value` attributes or text). At most [`MAX_FOUND`] results.
/// Never panics, on any input.
///
/// Only top-level markup counts (a script's object or array entries, an
/// `@graph`'s members, an item that is no other item's property): the
/// `partOfOrder` inside a ParcelDelivery is part of that delivery, not a
/// second order. The same thing stated twice (same kind, item, order number
/// and price, as a mail carrying both JSON-LD and Microdata does) is one
/// result, with the fields either copy states. A JSON-LD `{"@id": …}`
/// stands for the node with that id in the same script. Microdata's
/// `itemref` and `itemid`, and `<template>` contents, are not read.
pub fn extract(html: &str) -> Vec<Found> {
    let html = cut_bytes(html, MAX_HTML_BYTES);
    if !may_have_markup(html) {
        return Vec::new();
    }
    read_all(html)
}

/// [`extract`] without the quick check for markup, for a caller that made
/// it ([`may_have_markup`]) on `html` already cut to [`MAX_HTML_BYTES`].
pub(crate) fn read_all(html: &str) -> Vec<Found> {
    let html = cut_bytes(html, MAX_HTML_BYTES);
    let page = Page::read(html);
    let mut out = Collector::default();
    for script in &page.scripts {
        if out.is_full() {
            break;
        }
        // One bad script does not hide the others.
        if let Ok(value) = serde_json::from_str::<Value>(json_text(script)) {
            let nodes = top_nodes(&value);
            let reader = Reader::new(&nodes);
            for node in nodes {
                if out.is_full() {
                    break;
                }
                reader.read(node, &mut out);
            }
        }
    }
    let items = page.microdata();
    let reader = Reader::new(&[]);
    for item in &items {
        if out.is_full() {
            break;
        }
        reader.read(item, &mut out);
    }
    out.found
}

/// Whether `html` could hold markup at all: a `<script` start tag (JSON-LD)
/// or an `itemscope` attribute (Microdata), in any case. Tag and attribute
/// names cannot be written with character references, so a page with
/// neither has nothing [`Page::read`] would keep; most mail (newsletters,
/// notices) has neither, and this skips tokenizing it, which is most of
/// the cost of a message once it is parsed.
pub(crate) fn may_have_markup(html: &str) -> bool {
    // Folding the case first and then two exact searches is several times
    // faster than one case-blind search.
    let lower = html.as_bytes().to_ascii_lowercase();
    memchr::memmem::find(&lower, b"<script").is_some()
        || memchr::memmem::find(&lower, b"itemscope").is_some()
}

/// A script's JSON: an HTML comment or a byte order mark around it left
/// out, as some senders write them.
fn json_text(script: &str) -> &str {
    let text = script.trim().trim_start_matches('\u{FEFF}').trim_start();
    let text = text.strip_prefix("<!--").unwrap_or(text);
    text.strip_suffix("-->").unwrap_or(text)
}

/// Strings kept: characters, after whitespace is collapsed.
const MAX_TEXT_CHARS: usize = 200;
/// How deep any walk of ours goes: JSON values, nested items.
const MAX_DEPTH: usize = 32;
/// JSON-LD scripts read from one page.
const MAX_SCRIPTS: usize = 200;
/// Microdata items (itemscopes) read from one page.
const MAX_ITEMSCOPES: usize = 1000;
/// Microdata properties read from one page, over all its items.
const MAX_PROPERTIES: usize = 5000;
/// Bytes of raw text one Microdata property collects before cleaning.
const MAX_RAW_TEXT: usize = 4096;
/// Values read from one array or repeated property.
const MAX_LIST: usize = 100;
/// Top-level nodes read from one script (array entries, `@graph` members).
const MAX_NODES: usize = 500;
/// Reads (of a value as text or a price, of a property) one script's
/// nodes, or the page's Microdata, may take in all: far more than any
/// real message needs.
const MAX_STEPS: usize = 100_000;
/// JSON values made from one page's Microdata items.
const MAX_MICRODATA_VALUES: usize = 20_000;

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A string as kept: whitespace collapsed, control and invisible format
/// characters removed, at most [`MAX_TEXT_CHARS`] characters; None if
/// nothing is left.
fn clean(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut count = 0;
    'words: for word in s.split_whitespace() {
        let mut chars = word.chars().filter(|c| !is_hidden(*c)).peekable();
        if chars.peek().is_none() {
            continue;
        }
        if !out.is_empty() {
            if count + 1 >= MAX_TEXT_CHARS {
                break;
            }
            out.push(' ');
            count += 1;
        }
        for c in chars {
            if count == MAX_TEXT_CHARS {
                break 'words;
            }
            out.push(c);
            count += 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A price as stated, if it is a plain non-negative decimal ("12", "12.34").
fn plain_decimal(s: &str) -> Option<String> {
    let s = s.trim();
    let (whole, fraction) = match s.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (s, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let ok = s.len() <= 40 && digits(whole) && fraction.is_none_or(digits);
    ok.then(|| s.to_owned())
}

/// An ISO 4217 code in upper case, if `s` is three ASCII letters.
fn currency_code(s: &str) -> Option<String> {
    let s = s.trim();
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}

/// The date part of an ISO 8601 date or date-time ("2027-03-04",
/// "2027-03-04T20:15:00-08:00"), or the start of an interval
/// ("2027-03-01/2027-03-31"), as written: no time zone is applied.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let head = s.get(..10)?;
    let rest = &s[10..];
    if !(rest.is_empty() || rest.starts_with(['T', 't', ' ', '/'])) {
        return None;
    }
    let b = head.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| head[range].parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// The schema.org type a type name or IRI names, without its prefix; None
/// for another vocabulary's.
fn schema_type(t: &str) -> Option<&str> {
    let t = t.trim();
    for prefix in [
        "http://schema.org/",
        "https://schema.org/",
        "http://www.schema.org/",
        "https://www.schema.org/",
        "schema:",
    ] {
        if t.len() >= prefix.len()
            && t.is_char_boundary(prefix.len())
            && t[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return Some(t[prefix.len()..].trim_end_matches('/'));
        }
    }
    (!t.contains([':', '/'])).then_some(t)
}

/// What a node of type `t` is, if one of the four kinds.
fn kind_of_type(t: &str) -> Option<FoundKind> {
    const RESERVATIONS: [&str; 11] = [
        "Reservation",
        "BoatReservation",
        "BusReservation",
        "EventReservation",
        "FlightReservation",
        "FoodEstablishmentReservation",
        "LodgingReservation",
        "RentalCarReservation",
        "ReservationPackage",
        "TaxiReservation",
        "TrainReservation",
    ];
    let t = schema_type(t)?;
    let is = |name: &str| t.eq_ignore_ascii_case(name);
    if is("Order") {
        Some(FoundKind::Order)
    } else if is("Invoice") {
        Some(FoundKind::Invoice)
    } else if is("ParcelDelivery") {
        Some(FoundKind::ParcelDelivery)
    } else if RESERVATIONS.iter().any(|r| is(r)) {
        Some(FoundKind::Reservation)
    } else {
        None
    }
}

/// Types of a reserved thing that are themselves the business the
/// reservation is with.
fn is_business_type(t: &str) -> bool {
    const BUSINESSES: [&str; 16] = [
        "Organization",
        "LocalBusiness",
        "LodgingBusiness",
        "Hotel",
        "Motel",
        "Hostel",
        "Resort",
        "BedAndBreakfast",
        "Campground",
        "FoodEstablishment",
        "Restaurant",
        "CafeOrCoffeeShop",
        "BarOrPub",
        "FastFoodRestaurant",
        "Bakery",
        "Winery",
    ];
    schema_type(t).is_some_and(|t| BUSINESSES.iter().any(|b| t.eq_ignore_ascii_case(b)))
}

/// The nodes a JSON-LD script states at its top: the object, an array's
/// entries, an `@graph`'s members (nested arrays and graphs too, within
/// [`MAX_DEPTH`] and [`MAX_NODES`]).
fn top_nodes(value: &Value) -> Vec<&Value> {
    let mut nodes = Vec::new();
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        if nodes.len() >= MAX_NODES || depth > MAX_DEPTH {
            continue;
        }
        match value {
            Value::Array(entries) => {
                for entry in entries.iter().take(MAX_NODES).rev() {
                    stack.push((entry, depth + 1));
                }
            }
            Value::Object(object) => {
                if object.contains_key("@type") {
                    nodes.push(value);
                }
                if let Some(graph) = object.get("@graph") {
                    stack.push((graph, depth + 1));
                }
            }
            _ => {}
        }
    }
    nodes
}

/// A price and its currency, as one object or value states them.
#[derive(Debug, Default, Clone)]
struct Money {
    price: Option<String>,
    currency: Option<String>,
}

/// One item of an order (or a parcel, a reservation).
#[derive(Debug)]
struct Line {
    item: Option<String>,
    money: Money,
    /// An offer's own seller.
    merchant: Option<String>,
}

/// What every line of one node shares.
#[derive(Debug)]
struct Common {
    kind: FoundKind,
    order_number: Option<String>,
    total: Money,
    merchant: Option<String>,
    date: Option<NaiveDate>,
    tracking: Option<String>,
}

/// Keys that price one item.
const ITEM_PRICE: [&str; 3] = ["price", "priceSpecification", "totalPrice"];
/// Keys that price a whole order.
const ORDER_PRICE: [&str; 4] = [
    "price",
    "totalPrice",
    "totalPaymentDue",
    "priceSpecification",
];
/// Keys that name whom an order was bought from.
const SELLER: [&str; 3] = ["merchant", "seller", "broker"];

/// Reads nodes of one script (or of the Microdata), where `{"@id": …}`
/// stands for the top-level node with that id.
///
/// References make the nodes a graph, not a tree: a node whose names are a
/// hundred references to a node whose names are a hundred references…
/// would be read 100³² times. So every read spends from one budget,
/// [`MAX_STEPS`], and once it is spent everything reads as absent.
struct Reader<'a> {
    ids: HashMap<&'a str, &'a Value>,
    steps: Cell<usize>,
}

impl<'a> Reader<'a> {
    fn new(nodes: &[&'a Value]) -> Self {
        let ids = nodes
            .iter()
            .filter_map(|node| Some((node.get("@id")?.as_str()?, *node)))
            .collect();
        Reader {
            ids,
            steps: Cell::new(MAX_STEPS),
        }
    }

    /// Spend one step of the budget; false once it is spent.
    fn step(&self) -> bool {
        let left = self.steps.get();
        self.steps.set(left.saturating_sub(1));
        left > 0
    }

    /// `value`, or the node it refers to if it is only a reference. One
    /// step: a reference to a reference stays one.
    fn resolve(&self, value: &'a Value) -> &'a Value {
        if let Value::Object(object) = value
            && let Some(Value::String(id)) = object.get("@id")
            && object.keys().all(|k| k == "@id" || k == "@type")
            && let Some(node) = self.ids.get(id.as_str())
        {
            return node;
        }
        value
    }

    /// Every value of `key` in `node` (an array's entries, within
    /// [`MAX_LIST`]), references resolved.
    fn all(&self, node: &'a Value, key: &str) -> Vec<&'a Value> {
        if !self.step() {
            return Vec::new();
        }
        match node.get(key) {
            Some(Value::Array(entries)) => entries
                .iter()
                .take(MAX_LIST)
                .map(|v| self.resolve(v))
                .collect(),
            Some(value) => vec![self.resolve(value)],
            None => Vec::new(),
        }
    }

    fn first(&self, node: &'a Value, key: &str) -> Option<&'a Value> {
        self.all(node, key).into_iter().next()
    }

    /// A value as text: a string, a number, a JSON-LD `@value`, or a
    /// thing's `name`; an array's first that is one.
    fn text(&self, value: &'a Value, depth: usize) -> Option<String> {
        if depth > MAX_DEPTH || !self.step() {
            return None;
        }
        match value {
            Value::String(s) => clean(s),
            Value::Number(n) => clean(&n.to_string()),
            Value::Array(entries) => entries
                .iter()
                .take(MAX_LIST)
                .find_map(|v| self.text(self.resolve(v), depth + 1)),
            Value::Object(object) => ["@value", "name"]
                .iter()
                .filter_map(|k| object.get(*k))
                .find_map(|v| self.text(self.resolve(v), depth + 1)),
            _ => None,
        }
    }

    /// The text of the first of `keys` in `node` that has one.
    fn text_of(&self, node: &'a Value, keys: &[&str]) -> Option<String> {
        keys.iter()
            .flat_map(|k| self.all(node, k))
            .find_map(|v| self.text(v, 0))
    }

    /// The first of `keys` in `node` that is an ISO 8601 date.
    fn date_of(&self, node: &'a Value, keys: &[&str]) -> Option<NaiveDate> {
        keys.iter()
            .flat_map(|k| self.all(node, k))
            .find_map(|v| iso_date(&self.text(v, 0)?))
    }

    /// The currency `node` states for itself.
    fn currency_of(&self, node: &'a Value) -> Option<String> {
        ["priceCurrency", "currency"]
            .iter()
            .flat_map(|k| self.all(node, k))
            .find_map(|v| currency_code(&self.text(v, 0)?))
    }

    /// A price value: a number, a string, or a PriceSpecification /
    /// MonetaryAmount (`price` or `value`, with its own currency).
    fn money(&self, value: &'a Value, depth: usize) -> Money {
        if depth > MAX_DEPTH || !self.step() {
            return Money::default();
        }
        match value {
            Value::String(s) => Money {
                price: plain_decimal(s),
                currency: None,
            },
            Value::Number(n) => Money {
                price: plain_decimal(&n.to_string()),
                currency: None,
            },
            Value::Array(entries) => entries
                .iter()
                .take(MAX_LIST)
                .map(|v| self.money(self.resolve(v), depth + 1))
                .find(|m| m.price.is_some())
                .unwrap_or_default(),
            Value::Object(_) => {
                let price = ["price", "value"]
                    .iter()
                    .flat_map(|k| self.all(value, k))
                    .find_map(|v| self.money(v, depth + 1).price);
                Money {
                    price,
                    currency: self.currency_of(value),
                }
            }
            _ => Money::default(),
        }
    }

    /// The first of `keys` in `node` that is a plain price, with its
    /// currency, else `node`'s own currency.
    fn money_of(&self, node: &'a Value, keys: &[&str]) -> Money {
        let own = self.currency_of(node);
        for key in keys {
            for value in self.all(node, key) {
                let money = self.money(value, 0);
                if money.price.is_some() {
                    return Money {
                        price: money.price,
                        currency: money.currency.or(own),
                    };
                }
            }
        }
        Money {
            price: None,
            currency: own,
        }
    }

    /// What kind of node `node` is, if one of the four.
    fn kind(&self, node: &'a Value) -> Option<FoundKind> {
        self.all(node, "@type")
            .into_iter()
            .filter_map(Value::as_str)
            .find_map(kind_of_type)
    }

    /// Whether `node` has a type that is a business.
    fn is_business(&self, node: &'a Value) -> bool {
        self.all(node, "@type")
            .into_iter()
            .filter_map(Value::as_str)
            .any(is_business_type)
    }

    /// An order's items: its accepted offers, else its ordered items.
    fn order_lines(&self, order: &'a Value) -> Vec<Line> {
        let mut lines: Vec<Line> = self
            .all(order, "acceptedOffer")
            .into_iter()
            .map(|offer| Line {
                item: self
                    .text_of(offer, &["itemOffered"])
                    .or_else(|| self.text_of(offer, &["name"])),
                money: self.money_of(offer, &ITEM_PRICE),
                merchant: self.text_of(offer, &["seller", "merchant"]),
            })
            .collect();
        if lines.is_empty() {
            lines = self
                .all(order, "orderedItem")
                .into_iter()
                .map(|entry| {
                    // An OrderItem names its product in its own orderedItem.
                    let item = match entry.get("orderedItem") {
                        Some(_) => self.text_of(entry, &["orderedItem"]),
                        None => self.text(entry, 0),
                    };
                    Line {
                        item,
                        money: self.money_of(entry, &ITEM_PRICE),
                        merchant: None,
                    }
                })
                .collect();
        }
        lines.truncate(MAX_FOUND);
        lines
    }

    /// The results `node` states, if it is one of the four kinds.
    fn read(&self, node: &'a Value, out: &mut Collector) {
        let Some(kind) = self.kind(node) else {
            return;
        };
        let (lines, common) = match kind {
            FoundKind::Order => self.order(node),
            FoundKind::Invoice => self.invoice(node),
            FoundKind::ParcelDelivery => self.parcel(node),
            FoundKind::Reservation => self.reservation(node),
        };
        emit(lines, common, out);
    }

    fn order(&self, order: &'a Value) -> (Vec<Line>, Common) {
        let common = Common {
            kind: FoundKind::Order,
            order_number: self.text_of(order, &["orderNumber"]),
            total: self.money_of(order, &ORDER_PRICE),
            merchant: self.text_of(order, &SELLER),
            date: self.date_of(order, &["orderDate"]),
            tracking: None,
        };
        (self.order_lines(order), common)
    }

    fn invoice(&self, invoice: &'a Value) -> (Vec<Line>, Common) {
        let orders = self.all(invoice, "referencesOrder");
        let mut lines: Vec<Line> = orders.iter().flat_map(|o| self.order_lines(o)).collect();
        lines.truncate(MAX_FOUND);
        if lines.is_empty() {
            let description = orders
                .iter()
                .find_map(|o| self.text_of(o, &["description"]))
                .or_else(|| self.text_of(invoice, &["description"]));
            if description.is_some() {
                lines.push(Line {
                    item: description,
                    money: Money::default(),
                    merchant: None,
                });
            }
        }
        let mut total = self.money_of(invoice, &ORDER_PRICE);
        if total.price.is_none()
            && let [order] = orders.as_slice()
        {
            let order_total = self.money_of(order, &ORDER_PRICE);
            if order_total.price.is_some() {
                total = order_total;
            }
        }
        let common = Common {
            kind: FoundKind::Invoice,
            order_number: self.text_of(invoice, &["confirmationNumber"]).or_else(|| {
                orders
                    .iter()
                    .find_map(|o| self.text_of(o, &["orderNumber"]))
            }),
            total,
            merchant: self
                .text_of(invoice, &["provider", "broker", "seller", "merchant"])
                .or_else(|| orders.iter().find_map(|o| self.text_of(o, &SELLER))),
            date: self
                .date_of(invoice, &["paymentDueDate", "paymentDue"])
                .or_else(|| {
                    let period = self.first(invoice, "billingPeriod")?;
                    self.date_of(period, &["startDate"])
                        .or_else(|| iso_date(&self.text(period, 0)?))
                }),
            tracking: None,
        };
        (lines, common)
    }

    fn parcel(&self, parcel: &'a Value) -> (Vec<Line>, Common) {
        let order = self.first(parcel, "partOfOrder");
        let lines = self
            .all(parcel, "itemShipped")
            .into_iter()
            .take(MAX_FOUND)
            .map(|item| Line {
                item: self.text(item, 0),
                money: self.money_of(item, &ITEM_PRICE),
                merchant: None,
            })
            .collect();
        let common = Common {
            kind: FoundKind::ParcelDelivery,
            order_number: order.and_then(|o| self.text_of(o, &["orderNumber"])),
            total: order
                .map(|o| self.money_of(o, &ORDER_PRICE))
                .unwrap_or_default(),
            // The seller, not the carrier (`carrier`, `provider`).
            merchant: order
                .and_then(|o| self.text_of(o, &SELLER))
                .or_else(|| self.text_of(parcel, &SELLER)),
            date: self.date_of(parcel, &["expectedArrivalFrom", "expectedArrivalUntil"]),
            tracking: self.text_of(parcel, &["trackingNumber"]),
        };
        (lines, common)
    }

    fn reservation(&self, reservation: &'a Value) -> (Vec<Line>, Common) {
        let booked = self.first(reservation, "reservationFor");
        let item = booked.and_then(|b| {
            self.text(b, 0).or_else(|| {
                self.text_of(
                    b,
                    &[
                        "flightNumber",
                        "trainName",
                        "trainNumber",
                        "busName",
                        "busNumber",
                    ],
                )
            })
        });
        let merchant = self
            .text_of(reservation, &["provider", "broker", "seller", "merchant"])
            .or_else(|| {
                let booked = booked?;
                self.text_of(booked, &["airline", "provider", "brand"])
                    .or_else(|| {
                        self.is_business(booked)
                            .then(|| self.text(booked, 0))
                            .flatten()
                    })
            });
        let date = self
            .date_of(
                reservation,
                &[
                    "checkinTime",
                    "checkinDate",
                    "startTime",
                    "startDate",
                    "pickupTime",
                    "departureTime",
                ],
            )
            .or_else(|| {
                self.date_of(
                    booked?,
                    &[
                        "startDate",
                        "departureTime",
                        "checkinTime",
                        "startTime",
                        "departureDate",
                    ],
                )
            });
        let common = Common {
            kind: FoundKind::Reservation,
            order_number: self.text_of(reservation, &["reservationNumber", "reservationId"]),
            total: self.money_of(
                reservation,
                &[
                    "totalPrice",
                    "price",
                    "priceSpecification",
                    "totalPaymentDue",
                ],
            ),
            merchant,
            date,
            tracking: None,
        };
        let lines = vec![Line {
            item,
            money: Money::default(),
            merchant: None,
        }];
        (lines, common)
    }
}

/// One result per line (or one for the node if it has none): a line's own
/// price, else the node's total if it is the only line and unpriced.
fn emit(lines: Vec<Line>, common: Common, out: &mut Collector) {
    let lines = if lines.is_empty() {
        vec![Line {
            item: None,
            money: Money::default(),
            merchant: None,
        }]
    } else {
        lines
    };
    let only = lines.len() == 1;
    for line in lines {
        let money = if line.money.price.is_some() {
            Money {
                price: line.money.price,
                currency: line
                    .money
                    .currency
                    .or_else(|| common.total.currency.clone()),
            }
        } else if only {
            common.total.clone()
        } else {
            Money {
                price: None,
                currency: line
                    .money
                    .currency
                    .or_else(|| common.total.currency.clone()),
            }
        };
        out.push(Found {
            kind: common.kind,
            item: line.item,
            order_number: common.order_number.clone(),
            price: money.price,
            currency: money.currency,
            merchant: common.merchant.clone().or(line.merchant),
            date: common.date,
            tracking: common.tracking.clone(),
        });
    }
}

/// The results so far: nothing empty, no duplicates, at most [`MAX_FOUND`].
#[derive(Debug, Default)]
struct Collector {
    found: Vec<Found>,
}

impl Collector {
    fn is_full(&self) -> bool {
        self.found.len() >= MAX_FOUND
    }

    fn push(&mut self, found: Found) {
        if found.item.is_none() && found.order_number.is_none() && found.price.is_none() {
            return;
        }
        let same = |f: &&mut Found| {
            f.kind == found.kind
                && f.item == found.item
                && f.order_number == found.order_number
                && f.price == found.price
        };
        if let Some(kept) = self.found.iter_mut().find(same) {
            // The same thing stated twice: what either copy states.
            kept.currency = kept.currency.take().or(found.currency);
            kept.merchant = kept.merchant.take().or(found.merchant);
            kept.date = kept.date.or(found.date);
            kept.tracking = kept.tracking.take().or(found.tracking);
        } else if !self.is_full() {
            self.found.push(found);
        }
    }
}

/// A Microdata property's value: text, or a nested item.
#[derive(Debug)]
enum Prop {
    Text(String),
    Item(usize),
}

/// One Microdata item (an element with `itemscope`).
#[derive(Debug, Default)]
struct MicroItem {
    types: Vec<String>,
    properties: Vec<(String, Prop)>,
    /// Whether it is another item's property (and so not top-level).
    nested: bool,
}

/// Elements that are never open: they have no content and no end tag.
const VOID: [&str; 16] = [
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source",
];

/// Elements whose content is not markup and not text a reader sees.
const RAW_TEXT: [&str; 6] = ["style", "xmp", "iframe", "noembed", "noframes", "template"];

/// Start tags that end an open `<p>`.
const CLOSES_P: [&str; 31] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dd",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "table",
];

/// Elements kept open at once; past this, an element is read as if it
/// were empty (browsers flatten deep trees the same way).
const MAX_OPEN: usize = 512;
/// Open elements an end tag (or an implied end) looks through for its
/// element: a stray end tag costs this much, not the whole page.
const MAX_CLOSE_SEARCH: usize = 64;

/// An element that is open, as far as Microdata needs it.
#[derive(Debug)]
struct Open {
    name: String,
    /// The item properties inside it belong to.
    owner: Option<usize>,
    /// How deep in items its content is.
    depth: usize,
    /// The text property it is the value of, if any (index into
    /// [`Page::texts`]).
    text: Option<usize>,
}

/// A text property being collected from its element's content.
#[derive(Debug)]
struct TextProp {
    /// Where its value goes: (item, property index), one per name.
    slots: Vec<(usize, usize)>,
    text: String,
}

/// What one pass over the page found: JSON-LD scripts' text and Microdata
/// items, each within its limit.
///
/// The page is tokenized, not built into a tree: an HTML tree builder
/// looks down its stack of open elements for many start tags, which makes
/// a page of a few hundred thousand nested elements take hours. Here the
/// stack is at most [`MAX_OPEN`] deep and a tag looks at most
/// [`MAX_CLOSE_SEARCH`] entries down, with the implied ends mail markup
/// relies on (`<li>`, `<td>`, `<tr>`, `<p>`, `<option>`…), so the work is
/// linear in the page.
#[derive(Debug, Default)]
struct Page {
    scripts: Vec<String>,
    items: Vec<MicroItem>,
    properties: usize,
    stack: Vec<Open>,
    texts: Vec<TextProp>,
    /// Text properties still taking text (open, and not full).
    collecting: Vec<usize>,
    /// Inside a script or a raw-text element: whether it is JSON-LD
    /// being read (`Some(true)`), or skipped.
    raw: Option<bool>,
}

/// The tokenizer's sink: [`Page`] behind the `RefCell` its `&self`
/// interface needs.
#[derive(Debug, Default)]
struct Sink(RefCell<Page>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        self.0.borrow_mut().token(token)
    }
}

fn attr<'b>(attrs: &'b [html5ever::Attribute], name: &str) -> Option<&'b str> {
    attrs
        .iter()
        .find(|a| a.name.ns.is_empty() && &*a.name.local == name)
        .map(|a| &*a.value)
}

impl Page {
    /// Tokenize `html` and read its scripts and Microdata in one pass.
    fn read(html: &str) -> Page {
        let tokenizer = Tokenizer::new(Sink::default(), TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(html));
        // The sink never asks to run a script, so one feed reads it all;
        // the loop is for the interface's sake, bounded all the same.
        for _ in 0..4 {
            if let TokenizerResult::Done = tokenizer.feed(&input) {
                break;
            }
        }
        tokenizer.end();
        let mut page = tokenizer.sink.0.into_inner();
        page.close_all();
        page
    }

    fn token(&mut self, token: Token) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => return self.start(tag),
                TagKind::EndTag => self.end(&tag.name),
            },
            Token::CharacterTokens(text) => self.characters(&text),
            Token::EOFToken => self.close_all(),
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn characters(&mut self, text: &str) {
        match self.raw {
            Some(true) => {
                if let Some(script) = self.scripts.last_mut() {
                    script.push_str(text);
                }
            }
            Some(false) => {}
            None => {
                let texts = &mut self.texts;
                self.collecting.retain(|&i| {
                    let Some(prop) = texts.get_mut(i) else {
                        return false;
                    };
                    let room = MAX_RAW_TEXT.saturating_sub(prop.text.len());
                    prop.text.push_str(cut_bytes(text, room));
                    prop.text.len() < MAX_RAW_TEXT
                });
            }
        }
    }

    fn start(&mut self, tag: Tag) -> TokenSinkResult<()> {
        if self.raw.is_some() {
            // Not reached: raw text has no tags. Read as text, if it were.
            return TokenSinkResult::Continue;
        }
        let name: &str = &tag.name;
        self.implied_end(name);
        if name == "script" {
            let ld = attr(&tag.attrs, "type").is_some_and(|t| {
                let t = t.split(';').next().unwrap_or_default().trim();
                t.eq_ignore_ascii_case("application/ld+json")
            }) && self.scripts.len() < MAX_SCRIPTS;
            if ld {
                self.scripts.push(String::new());
            }
            self.raw = Some(ld);
            return TokenSinkResult::RawData(RawKind::ScriptData);
        }
        if RAW_TEXT.contains(&name) {
            self.raw = Some(false);
            return TokenSinkResult::RawData(RawKind::Rawtext);
        }
        let opens = !tag.self_closing && !VOID.contains(&name) && self.stack.len() < MAX_OPEN;
        let (owner, depth) = self
            .stack
            .last()
            .map_or((None, 0), |open| (open.owner, open.depth));
        let names = attr(&tag.attrs, "itemprop").map(property_names);
        let mut open = Open {
            name: name.to_owned(),
            owner,
            depth,
            text: None,
        };
        if attr(&tag.attrs, "itemscope").is_some() {
            if self.items.len() < MAX_ITEMSCOPES && depth < MAX_DEPTH {
                let id = self.items.len();
                let types = attr(&tag.attrs, "itemtype")
                    .map(|t| t.split_whitespace().take(8).map(str::to_owned).collect())
                    .unwrap_or_default();
                self.items.push(MicroItem {
                    types,
                    ..MicroItem::default()
                });
                if let (Some(owner), Some(names)) = (owner, names) {
                    for name in names {
                        self.add(owner, name, Prop::Item(id));
                    }
                }
                open.owner = Some(id);
                open.depth = depth + 1;
            } else {
                // Past the limits: nothing inside is read as Microdata.
                open.owner = None;
            }
        } else if let (Some(owner), Some(names)) = (owner, names) {
            match attribute_value(name, &tag.attrs) {
                Some(value) => {
                    for name in names {
                        self.add(owner, name, Prop::Text(value.clone()));
                    }
                }
                None => {
                    let slots: Vec<(usize, usize)> = names
                        .into_iter()
                        .filter_map(|name| self.add(owner, name, Prop::Text(String::new())))
                        .collect();
                    if opens && !slots.is_empty() {
                        let index = self.texts.len();
                        self.texts.push(TextProp {
                            slots,
                            text: String::new(),
                        });
                        self.collecting.push(index);
                        open.text = Some(index);
                    }
                }
            }
        }
        if opens {
            self.stack.push(open);
        }
        match name {
            "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" if opens => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }

    /// The end of an element started by `name` that another start tag
    /// implies (a new `<li>` ends the last, a block ends a `<p>`…).
    fn implied_end(&mut self, name: &str) {
        let (ends, stops): (&[&str], &[&str]) = match name {
            "li" => (&["li"], &["ul", "ol", "menu", "table"]),
            "dt" | "dd" => (&["dt", "dd"], &["dl", "table"]),
            "td" | "th" => (&["td", "th"], &["tr", "table"]),
            "tr" => (&["tr"], &["table", "tbody", "thead", "tfoot"]),
            "tbody" | "thead" | "tfoot" => (&["tbody", "thead", "tfoot"], &["table"]),
            "option" => (&["option"], &["select", "datalist"]),
            _ if CLOSES_P.contains(&name) => (
                &["p"],
                &["td", "th", "table", "li", "div", "button", "body", "html"],
            ),
            _ => return,
        };
        let found = self
            .stack
            .iter()
            .rev()
            .take(MAX_CLOSE_SEARCH)
            .map(|open| open.name.as_str())
            .take_while(|open| !stops.contains(open))
            .position(|open| ends.contains(&open));
        if let Some(from_top) = found {
            self.close_to(self.stack.len() - 1 - from_top);
        }
    }

    fn end(&mut self, name: &str) {
        if self.raw.take().is_some() {
            // The tokenizer ends raw text only at its own end tag.
            return;
        }
        let found = self
            .stack
            .iter()
            .rev()
            .take(MAX_CLOSE_SEARCH)
            .position(|open| open.name == name);
        if let Some(from_top) = found {
            self.close_to(self.stack.len() - 1 - from_top);
        }
    }

    /// Close the open elements from `index` up.
    fn close_to(&mut self, index: usize) {
        while self.stack.len() > index {
            let Some(open) = self.stack.pop() else {
                break;
            };
            if let Some(text) = open.text {
                self.finish_text(text);
            }
        }
    }

    fn close_all(&mut self) {
        self.raw = None;
        self.close_to(0);
    }

    /// A text property's element has ended: its text is its value.
    fn finish_text(&mut self, index: usize) {
        self.collecting.retain(|&i| i != index);
        let Some(prop) = self.texts.get_mut(index) else {
            return;
        };
        let text = std::mem::take(&mut prop.text);
        for &(item, property) in &prop.slots {
            if let Some((_, Prop::Text(value))) = self
                .items
                .get_mut(item)
                .and_then(|item| item.properties.get_mut(property))
            {
                value.clone_from(&text);
            }
        }
    }

    /// Add a property to item `owner`; where it went, if it did.
    fn add(&mut self, owner: usize, name: String, prop: Prop) -> Option<(usize, usize)> {
        if self.properties >= MAX_PROPERTIES {
            return None;
        }
        if let Prop::Item(id) = prop
            && let Some(item) = self.items.get_mut(id)
        {
            item.nested = true;
        }
        let item = self.items.get_mut(owner)?;
        item.properties.push((name, prop));
        self.properties += 1;
        Some((owner, item.properties.len() - 1))
    }

    /// The top-level items, as JSON-LD-shaped objects.
    fn microdata(&self) -> Vec<Value> {
        let mut budget = MAX_MICRODATA_VALUES;
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| !item.nested)
            .map(|(id, _)| self.item_value(id, 0, &mut budget))
            .collect()
    }

    /// Item `id` as `{"@type": [...], property: [values...]}`. Items only
    /// nest within [`MAX_DEPTH`], and `budget` bounds the values made (an
    /// item that is the value of several property names is made once per
    /// name).
    fn item_value(&self, id: usize, depth: usize, budget: &mut usize) -> Value {
        let mut object = Map::new();
        let Some(item) = self.items.get(id) else {
            return Value::Object(object);
        };
        let types = item.types.iter().cloned().map(Value::String).collect();
        object.insert("@type".to_owned(), Value::Array(types));
        for (name, prop) in &item.properties {
            if *budget == 0 {
                break;
            }
            *budget -= 1;
            let value = match prop {
                Prop::Text(text) => Value::String(text.clone()),
                // Items are numbered as they start, so a nested one is
                // always later: no cycles.
                Prop::Item(nested) if depth < MAX_DEPTH && *nested > id => {
                    self.item_value(*nested, depth + 1, budget)
                }
                Prop::Item(_) => continue,
            };
            if let Value::Array(values) = object
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                values.push(value);
            }
        }
        Value::Object(object)
    }
}

/// The property names an `itemprop` lists, schema.org IRIs shortened to
/// their names.
fn property_names(itemprop: &str) -> Vec<String> {
    itemprop
        .split_whitespace()
        .take(8)
        .map(|name| schema_type(name).unwrap_or(name).to_owned())
        .collect()
}

/// A Microdata property's value when an attribute holds it: `content` if
/// the element has it (as mail markup puts it on `<meta>` and `<span>`),
/// else the attribute HTML's rules take for its element; None when the
/// value is the element's text.
fn attribute_value(element: &str, attrs: &[html5ever::Attribute]) -> Option<String> {
    if let Some(content) = attr(attrs, "content") {
        return Some(content.to_owned());
    }
    let from = |name| Some(attr(attrs, name).unwrap_or_default().to_owned());
    match element {
        "a" | "area" | "link" => from("href"),
        "audio" | "embed" | "iframe" | "img" | "source" | "track" | "video" => from("src"),
        "object" => from("data"),
        "data" | "meter" => from("value"),
        "time" => attr(attrs, "datetime").map(str::to_owned),
        _ if VOID.contains(&element) => Some(String::new()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn ld(json: &str) -> String {
        format!(
            "<html><head><title>Your order</title></head><body><p>Hello</p>\
             <script type=\"application/ld+json\">{json}</script></body></html>"
        )
    }

    /// A result with only the fields a test names.
    fn found(kind: FoundKind) -> Found {
        Found {
            kind,
            item: None,
            order_number: None,
            price: None,
            currency: None,
            merchant: None,
            date: None,
            tracking: None,
        }
    }

    const GOOGLE_ORDER_JSON_LD: &str = r#"{
      "@context": "http://schema.org",
      "@type": "Order",
      "merchant": {"@type": "Organization", "name": "Amazon.com"},
      "orderNumber": "123-4567890-1234567",
      "priceCurrency": "USD",
      "price": "29.99",
      "acceptedOffer": {
        "@type": "Offer",
        "itemOffered": {"@type": "Product", "name": "Google Chromecast"},
        "price": "29.99",
        "priceCurrency": "USD",
        "eligibleQuantity": {"@type": "QuantitativeValue", "value": "1"}
      },
      "url": "https://www.amazon.ca/gp/css/summary/edit.html?orderID=123-4567890-1234567",
      "orderStatus": "http://schema.org/OrderProcessing",
      "orderDate": "2027-01-07T16:58:39-08:00"
    }"#;

    const GOOGLE_ORDER_MICRODATA: &str = r#"
      <div itemscope itemtype="http://schema.org/Order">
        <div itemprop="merchant" itemscope itemtype="http://schema.org/Organization">
          <meta itemprop="name" content="Amazon.com"/>
        </div>
        <meta itemprop="orderNumber" content="123-4567890-1234567"/>
        <meta itemprop="priceCurrency" content="USD"/>
        <meta itemprop="price" content="29.99"/>
        <div itemprop="acceptedOffer" itemscope itemtype="http://schema.org/Offer">
          <div itemprop="itemOffered" itemscope itemtype="http://schema.org/Product">
            <meta itemprop="name" content="Google Chromecast"/>
          </div>
          <meta itemprop="price" content="29.99"/>
          <meta itemprop="priceCurrency" content="USD"/>
          <div itemprop="eligibleQuantity" itemscope itemtype="http://schema.org/QuantitativeValue">
            <meta itemprop="value" content="1"/>
          </div>
        </div>
        <link itemprop="url" href="https://www.amazon.ca/gp/css/summary/edit.html?orderID=123-4567890-1234567"/>
        <link itemprop="orderStatus" href="http://schema.org/OrderProcessing"/>
        <meta itemprop="orderDate" content="2027-01-07T16:58:39-08:00"/>
      </div>"#;

    fn chromecast() -> Found {
        Found {
            item: Some("Google Chromecast".into()),
            order_number: Some("123-4567890-1234567".into()),
            price: Some("29.99".into()),
            currency: Some("USD".into()),
            merchant: Some("Amazon.com".into()),
            date: date(2027, 1, 7),
            ..found(FoundKind::Order)
        }
    }

    #[test]
    fn google_order_in_json_ld() {
        assert_eq!(extract(&ld(GOOGLE_ORDER_JSON_LD)), vec![chromecast()]);
    }

    #[test]
    fn google_order_in_microdata() {
        let html = format!("<html><body><p>Thanks!</p>{GOOGLE_ORDER_MICRODATA}</body></html>");
        assert_eq!(extract(&html), vec![chromecast()]);
    }

    #[test]
    fn the_same_order_twice_is_one() {
        // Many senders put both syntaxes in one mail.
        let html = format!("{}{GOOGLE_ORDER_MICRODATA}", ld(GOOGLE_ORDER_JSON_LD));
        assert_eq!(extract(&html), vec![chromecast()]);
        // A copy that says more fills in what the first left out.
        let bare = r#"{"@type": "Order", "orderNumber": "123-4567890-1234567", "price": "29.99",
            "acceptedOffer": {"itemOffered": "Google Chromecast", "price": 29.99}}"#;
        let html = format!("{}{GOOGLE_ORDER_MICRODATA}", ld(bare));
        assert_eq!(extract(&html), vec![chromecast()]);
    }

    #[test]
    fn every_item_of_an_order() {
        let json = r#"{
          "@context": "https://schema.org", "@type": "Order", "orderNumber": 10042,
          "seller": "Shop & Co", "priceCurrency": "eur", "totalPrice": "60.00",
          "acceptedOffer": [
            {"@type": "Offer", "itemOffered": {"@type": "Product", "name": "Kettle"}, "price": 35},
            {"@type": "Offer", "itemOffered": {"@type": "Product", "name": "Mug"},
             "priceSpecification": {"@type": "UnitPriceSpecification", "price": "12.50", "priceCurrency": "EUR"}},
            {"@type": "Offer", "itemOffered": "Tea", "price": "12.5"}
          ]}"#;
        let base = Found {
            order_number: Some("10042".into()),
            currency: Some("EUR".into()),
            merchant: Some("Shop & Co".into()),
            ..found(FoundKind::Order)
        };
        let item = |name: &str, price: &str| Found {
            item: Some(name.into()),
            price: Some(price.into()),
            ..base.clone()
        };
        assert_eq!(
            extract(&ld(json)),
            vec![
                item("Kettle", "35"),
                item("Mug", "12.50"),
                item("Tea", "12.5")
            ]
        );
    }

    #[test]
    fn a_total_is_an_items_price_only_for_a_one_item_order() {
        let one = r#"{"@type": "Order", "orderNumber": "A1", "price": "9.99", "priceCurrency": "GBP",
            "orderedItem": {"@type": "Product", "name": "Cable"}}"#;
        assert_eq!(
            extract(&ld(one)),
            vec![Found {
                item: Some("Cable".into()),
                order_number: Some("A1".into()),
                price: Some("9.99".into()),
                currency: Some("GBP".into()),
                ..found(FoundKind::Order)
            }]
        );
        let two = r#"{"@type": "Order", "orderNumber": "A2", "price": "19.98", "priceCurrency": "GBP",
            "orderedItem": [
              {"@type": "OrderItem", "orderQuantity": 1, "orderedItem": {"@type": "Product", "name": "Cable"}},
              {"@type": "OrderItem", "orderedItem": {"@type": "Product", "name": "Plug"}}
            ]}"#;
        let names: Vec<_> = extract(&ld(two))
            .into_iter()
            .map(|f| (f.item, f.price, f.currency))
            .collect();
        let gbp = Some("GBP".to_owned());
        assert_eq!(
            names,
            vec![
                (Some("Cable".into()), None, gbp.clone()),
                (Some("Plug".into()), None, gbp)
            ]
        );
        // No items at all: the order itself, with its total.
        let none = r#"{"@type": "Order", "orderNumber": "A3", "price": 5}"#;
        assert_eq!(
            extract(&ld(none)),
            vec![Found {
                order_number: Some("A3".into()),
                price: Some("5".into()),
                ..found(FoundKind::Order)
            }]
        );
    }

    #[test]
    fn google_parcel_delivery() {
        let json = r#"{
          "@context": "http://schema.org",
          "@type": "ParcelDelivery",
          "deliveryAddress": {"@type": "PostalAddress", "name": "Pickup Corner",
            "streetAddress": "24 Willie Mays Plaza", "addressLocality": "San Francisco",
            "addressRegion": "CA", "addressCountry": "US", "postalCode": "94107"},
          "expectedArrivalUntil": "2027-03-12T12:00:00-08:00",
          "carrier": {"@type": "Organization", "name": "FedEx"},
          "itemShipped": {"@type": "Product", "name": "Google Chromecast"},
          "partOfOrder": {"@type": "Order", "orderNumber": "176057",
            "merchant": {"@type": "Organization", "name": "Bob Dole"}},
          "trackingNumber": "3453291231",
          "trackingUrl": "http://www.fedex.com/Tracking?tracknumbers=3453291231"
        }"#;
        // The order inside is the delivery's, not a second result.
        assert_eq!(
            extract(&ld(json)),
            vec![Found {
                item: Some("Google Chromecast".into()),
                order_number: Some("176057".into()),
                merchant: Some("Bob Dole".into()),
                date: date(2027, 3, 12),
                tracking: Some("3453291231".into()),
                ..found(FoundKind::ParcelDelivery)
            }]
        );
    }

    #[test]
    fn google_invoice() {
        let json = r#"{
          "@context": "http://schema.org",
          "@type": "Invoice",
          "accountId": "xxx-xxx-xxxx",
          "minimumPaymentDue": {"@type": "PriceSpecification", "price": "$15.00"},
          "paymentDueDate": "2027-11-22T08:00:00+00:00",
          "paymentStatus": "PaymentAutomaticallyApplied",
          "provider": {"@type": "Organization", "name": "Google Cloud Platform"},
          "referencesOrder": {"@type": "Order", "description": "furniture",
            "orderDate": "2027-10-22T08:00:00+00:00"},
          "totalPaymentDue": {"@type": "PriceSpecification", "price": "$70.00"}
        }"#;
        // "$70.00" is not a plain number: no price rather than a guess.
        assert_eq!(
            extract(&ld(json)),
            vec![Found {
                item: Some("furniture".into()),
                merchant: Some("Google Cloud Platform".into()),
                date: date(2027, 11, 22),
                ..found(FoundKind::Invoice)
            }]
        );
        let plain = r#"{"@type": "Invoice", "confirmationNumber": "INV-7", "description": "Hosting, May",
            "totalPaymentDue": {"@type": "MonetaryAmount", "value": 70, "currency": "usd"},
            "billingPeriod": "2027-05-01/2027-05-31", "broker": "Billing Ltd"}"#;
        assert_eq!(
            extract(&ld(plain)),
            vec![Found {
                item: Some("Hosting, May".into()),
                order_number: Some("INV-7".into()),
                price: Some("70".into()),
                currency: Some("USD".into()),
                merchant: Some("Billing Ltd".into()),
                date: date(2027, 5, 1),
                ..found(FoundKind::Invoice)
            }]
        );
        let of_order = r#"{"@type": "Invoice", "provider": "ACME",
            "referencesOrder": {"@type": "Order", "orderNumber": "O-9",
              "orderedItem": {"@type": "Product", "name": "Anvil"}},
            "totalPaymentDue": {"@type": "PriceSpecification", "price": "120.00", "priceCurrency": "USD"}}"#;
        assert_eq!(
            extract(&ld(of_order)),
            vec![Found {
                item: Some("Anvil".into()),
                order_number: Some("O-9".into()),
                price: Some("120.00".into()),
                currency: Some("USD".into()),
                merchant: Some("ACME".into()),
                ..found(FoundKind::Invoice)
            }]
        );
    }

    #[test]
    fn google_flight_reservation_in_both_syntaxes() {
        let json = r#"{
          "@context": "http://schema.org",
          "@type": "FlightReservation",
          "reservationNumber": "RXJ34P",
          "reservationStatus": "http://schema.org/Confirmed",
          "underName": {"@type": "Person", "name": "Eva Green"},
          "reservationFor": {
            "@type": "Flight",
            "flightNumber": "110",
            "airline": {"@type": "Airline", "name": "United", "iataCode": "UA"},
            "departureAirport": {"@type": "Airport", "name": "San Francisco Airport", "iataCode": "SFO"},
            "departureTime": "2027-03-04T20:15:00-08:00",
            "arrivalAirport": {"@type": "Airport", "name": "John F. Kennedy International Airport", "iataCode": "JFK"},
            "arrivalTime": "2027-03-05T06:30:00-05:00"
          }
        }"#;
        let microdata = r#"
          <div itemscope itemtype="http://schema.org/FlightReservation">
            <meta itemprop="reservationNumber" content="RXJ34P"/>
            <link itemprop="reservationStatus" href="http://schema.org/Confirmed"/>
            <div itemprop="underName" itemscope itemtype="http://schema.org/Person">
              <meta itemprop="name" content="Eva Green"/>
            </div>
            <div itemprop="reservationFor" itemscope itemtype="http://schema.org/Flight">
              <meta itemprop="flightNumber" content="110"/>
              <div itemprop="airline" itemscope itemtype="http://schema.org/Airline">
                <meta itemprop="name" content="United"/>
                <meta itemprop="iataCode" content="UA"/>
              </div>
              <div itemprop="departureAirport" itemscope itemtype="http://schema.org/Airport">
                <meta itemprop="name" content="San Francisco Airport"/>
                <meta itemprop="iataCode" content="SFO"/>
              </div>
              <meta itemprop="departureTime" content="2027-03-04T20:15:00-08:00"/>
            </div>
          </div>"#;
        let expected = vec![Found {
            item: Some("110".into()),
            order_number: Some("RXJ34P".into()),
            merchant: Some("United".into()),
            date: date(2027, 3, 4),
            ..found(FoundKind::Reservation)
        }];
        assert_eq!(extract(&ld(json)), expected);
        assert_eq!(extract(microdata), expected);
    }

    #[test]
    fn google_lodging_and_restaurant_reservations() {
        let json = r#"{
          "@context": "http://schema.org",
          "@type": "LodgingReservation",
          "reservationNumber": "abc456",
          "reservationStatus": "http://schema.org/Confirmed",
          "underName": {"@type": "Person", "name": "John Smith"},
          "reservationFor": {
            "@type": "LodgingBusiness",
            "name": "Hilton San Francisco Union Square",
            "address": {"@type": "PostalAddress", "streetAddress": "333 O'Farrell St",
              "addressLocality": "San Francisco", "addressRegion": "CA",
              "postalCode": "94102", "addressCountry": "US"},
            "telephone": "415-771-1400"
          },
          "checkinDate": "2027-04-11T16:00:00-08:00",
          "checkoutDate": "2027-04-13T11:00:00-08:00",
          "totalPrice": "412.00", "priceCurrency": "USD"
        }"#;
        assert_eq!(
            extract(&ld(json)),
            vec![Found {
                item: Some("Hilton San Francisco Union Square".into()),
                order_number: Some("abc456".into()),
                price: Some("412.00".into()),
                currency: Some("USD".into()),
                merchant: Some("Hilton San Francisco Union Square".into()),
                date: date(2027, 4, 11),
                ..found(FoundKind::Reservation)
            }]
        );
        let restaurant = r#"
          <div itemscope itemtype="https://schema.org/FoodEstablishmentReservation">
            <meta itemprop="reservationNumber" content="OT12345">
            <div itemprop="reservationFor" itemscope itemtype="https://schema.org/FoodEstablishment">
              <span itemprop="name">Wagamama &amp; Friends</span>
            </div>
            <time itemprop="startTime" datetime="2027-04-10T19:30:00-08:00">Saturday at 7:30 pm</time>
          </div>"#;
        assert_eq!(
            extract(restaurant),
            vec![Found {
                item: Some("Wagamama & Friends".into()),
                order_number: Some("OT12345".into()),
                merchant: Some("Wagamama & Friends".into()),
                date: date(2027, 4, 10),
                ..found(FoundKind::Reservation)
            }]
        );
    }

    #[test]
    fn graphs_arrays_and_references() {
        let graph = r##"{"@context": "https://schema.org", "@graph": [
            {"@type": "Organization", "@id": "#shop", "name": "Fjord Outdoor AS"},
            {"@type": "Order", "orderNumber": "F-1", "seller": {"@id": "#shop"},
             "acceptedOffer": {"@type": "Offer", "itemOffered": {"@id": "#tent"}, "price": "2499.00", "priceCurrency": "NOK"}},
            {"@type": "Product", "@id": "#tent", "name": "Tent 2P"}
        ]}"##;
        assert_eq!(
            extract(&ld(graph)),
            vec![Found {
                item: Some("Tent 2P".into()),
                order_number: Some("F-1".into()),
                price: Some("2499.00".into()),
                currency: Some("NOK".into()),
                merchant: Some("Fjord Outdoor AS".into()),
                ..found(FoundKind::Order)
            }]
        );
        let array = r#"[
            {"@type": "Order", "orderNumber": "1", "orderedItem": "Pen"},
            {"@type": ["Thing", "schema:Order"], "orderNumber": "2", "orderedItem": "Ink"},
            {"@type": "http://example.org/Order", "orderNumber": "3"},
            {"@type": "Person", "name": "Not an order"}
        ]"#;
        let numbers: Vec<_> = extract(&ld(array))
            .into_iter()
            .map(|f| {
                (
                    f.order_number.unwrap_or_default(),
                    f.item.unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            numbers,
            vec![("1".into(), "Pen".into()), ("2".into(), "Ink".into())]
        );
    }

    #[test]
    fn prices_are_plain_numbers_or_nothing() {
        let price = |value: &str| {
            let json = format!(
                r#"{{"@type": "Order", "orderNumber": "P", "price": {value}, "priceCurrency": "usd"}}"#
            );
            extract(&ld(&json)).pop().and_then(|f| f.price)
        };
        assert_eq!(price("12.5"), Some("12.5".into()));
        assert_eq!(price("30"), Some("30".into()));
        assert_eq!(price(r#""12.34""#), Some("12.34".into()));
        assert_eq!(price(r#"" 7.00 ""#), Some("7.00".into()));
        assert_eq!(price(r#""£12.34""#), None);
        assert_eq!(price(r#""1,234.50""#), None);
        assert_eq!(price(r#""12,50""#), None);
        assert_eq!(price(r#""-5""#), None);
        assert_eq!(price(r#""1e3""#), None);
        assert_eq!(price(r#""12.""#), None);
        assert_eq!(price(r#""free""#), None);
        assert_eq!(price("true"), None);
        assert_eq!(
            price(r#"{"@type": "PriceSpecification", "price": 3.25}"#),
            Some("3.25".into())
        );
        assert_eq!(
            price(r#"{"@type": "MonetaryAmount", "value": "4"}"#),
            Some("4".into())
        );
    }

    #[test]
    fn currencies_are_three_letters_in_upper_case() {
        let currency = |value: &str| {
            let json =
                format!(r#"{{"@type": "Order", "orderNumber": "C", "priceCurrency": {value}}}"#);
            extract(&ld(&json)).pop().and_then(|f| f.currency)
        };
        assert_eq!(currency(r#""usd""#), Some("USD".into()));
        assert_eq!(currency(r#"" Eur ""#), Some("EUR".into()));
        assert_eq!(currency(r#""US$""#), None);
        assert_eq!(currency(r#""euro""#), None);
        assert_eq!(currency(r#""€""#), None);
        assert_eq!(currency("840"), None);
    }

    #[test]
    fn dates_are_iso_8601_dates_or_date_times() {
        assert_eq!(iso_date("2027-01-07"), date(2027, 1, 7));
        assert_eq!(iso_date(" 2027-01-07T23:59:59-08:00"), date(2027, 1, 7));
        assert_eq!(iso_date("2027-01-07 10:00"), date(2027, 1, 7));
        assert_eq!(iso_date("2027-01-07/2027-02-07"), date(2027, 1, 7));
        assert_eq!(iso_date("2027-02-30"), None);
        assert_eq!(iso_date("07/01/2027"), None);
        assert_eq!(iso_date("2027-1-7"), None);
        assert_eq!(iso_date("2027-01-07x"), None);
        assert_eq!(iso_date("+2027-01-07"), None);
        assert_eq!(iso_date("2027-01-0é"), None);
        assert_eq!(iso_date(""), None);
    }

    #[test]
    fn strings_are_cleaned_and_bounded() {
        let long = "x".repeat(500);
        let json = format!(
            r#"{{"@type": "Order", "orderNumber": "  A\u0007B \n\t C\u202e ",
                "seller": {{"@type": "Organization", "name": "\u001b[31mEvil\u200b Corp"}},
                "orderedItem": [{{"name": "{long}"}}, {{"name": " \u0000 "}}, "ok"]}}"#
        );
        let found = extract(&ld(&json));
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].order_number.as_deref(), Some("AB C"));
        assert_eq!(found[0].merchant.as_deref(), Some("[31mEvil Corp"));
        assert_eq!(found[0].item.as_deref(), Some(&long[..200]));
        assert_eq!(found[1].item, None);
        assert_eq!(found[2].item.as_deref(), Some("ok"));
        // Cut at 200 characters, never leaving a space at the end.
        assert_eq!(
            clean(&"ab  ".repeat(100)).map(|s| s.chars().count()),
            Some(200)
        );
        assert_eq!(
            clean(&"a b  ".repeat(100)).map(|s| s.chars().count()),
            Some(199)
        );
        assert_eq!(clean(" \u{200b}\t"), None);
        let cut = clean(&"é ".repeat(150)).unwrap_or_default();
        assert!(cut.chars().count() <= 200 && !cut.ends_with(' '));
    }

    #[test]
    fn nothing_is_invented() {
        // A seller and a date, but no item, number or price: nothing.
        let json = r#"{"@type": "Order", "seller": "Shop", "orderDate": "2027-01-01"}"#;
        assert_eq!(extract(&ld(json)), vec![]);
        let parcel = r#"{"@type": "ParcelDelivery", "trackingNumber": "1Z999"}"#;
        assert_eq!(extract(&ld(parcel)), vec![]);
    }

    #[test]
    fn bad_json_does_not_hide_good_json() {
        let html = format!(
            "<script type='application/ld+json'>{{\"@type\": \"Order\", \"orderNumber\": </script>\
             <script type='application/ld+json'>[1, 2, [[{{}}]], null, \"x\"]</script>\
             <script type='application/ld+json'>{}</script>\
             <script type='APPLICATION/LD+JSON; charset=utf-8'><!-- {{\"@type\": \"Order\", \"orderNumber\": \"Z\"}} --></script>\
             <script type='text/javascript'>{{\"@type\": \"Order\", \"orderNumber\": \"JS\"}}</script>",
            r#"{"@type": "Order", "orderNumber": "OK"}"#
        );
        let numbers: Vec<_> = extract(&html)
            .into_iter()
            .filter_map(|f| f.order_number)
            .collect();
        assert_eq!(numbers, vec!["OK".to_owned(), "Z".to_owned()]);
    }

    #[test]
    fn no_markup_no_results() {
        assert_eq!(extract(""), vec![]);
        assert_eq!(extract("plain text, no HTML"), vec![]);
        assert_eq!(
            extract("<html><body><p>Your order 123 of £12.34 has shipped.</p></body></html>"),
            vec![]
        );
        // Another vocabulary's Order is not schema.org's.
        let other = r#"<div itemscope itemtype="http://example.org/Order"><meta itemprop="orderNumber" content="1"></div>"#;
        assert_eq!(extract(other), vec![]);
    }

    #[test]
    fn microdata_values_come_from_the_right_attribute() {
        let html = r#"<table><tr><td>
          <div itemscope itemtype="http://schema.org/Order">
            <span itemprop="orderNumber">  #55 &amp;
              <b>B</b></span>
            <div itemprop="seller merchant" itemscope itemtype="http://schema.org/Organization">
              <a itemprop="url" href="https://shop.example/">Shop</a>
              <span itemprop="name">Shop <!-- a comment --> Ltd</span>
            </div>
            <time itemprop="orderDate" datetime="2027-02-03">3 Feb</time>
            <ul>
              <li itemprop="orderedItem" itemscope itemtype="http://schema.org/Product"><span itemprop="name">Lamp</span>
              <li itemprop="orderedItem" itemscope itemtype="http://schema.org/Product"><span itemprop="name">Bulb</span>
            </ul>
            <data itemprop="price" value="15.00">fifteen</data>
            <p itemprop="priceCurrency">chf
            <p>not the currency
          </div>
        </td></tr></table>"#;
        let base = Found {
            order_number: Some("#55 & B".into()),
            currency: Some("CHF".into()),
            merchant: Some("Shop Ltd".into()),
            date: date(2027, 2, 3),
            ..found(FoundKind::Order)
        };
        assert_eq!(
            extract(html),
            vec![
                Found {
                    item: Some("Lamp".into()),
                    ..base.clone()
                },
                Found {
                    item: Some("Bulb".into()),
                    ..base
                }
            ]
        );
    }

    #[test]
    fn markup_inside_styles_and_scripts_is_not_markup() {
        let html = r#"<style>.x{} <div itemscope itemtype="http://schema.org/Order"><meta itemprop="orderNumber" content="S"></style>
            <script>var s = '<div itemscope itemtype="http://schema.org/Order"><meta itemprop="orderNumber" content="J">';</script>
            <noscript><div itemscope itemtype="http://schema.org/Order"><meta itemprop="orderNumber" content="N"></div></noscript>"#;
        let numbers: Vec<_> = extract(html)
            .into_iter()
            .filter_map(|f| f.order_number)
            .collect();
        assert_eq!(numbers, vec!["N".to_owned()]);
    }

    #[test]
    fn at_most_max_found() {
        let offers: Vec<String> = (0..300)
            .map(|i| format!(r#"{{"itemOffered": "Item {i}", "price": "{i}"}}"#))
            .collect();
        let json = format!(
            r#"{{"@type": "Order", "orderNumber": "BIG", "acceptedOffer": [{}]}}"#,
            offers.join(",")
        );
        let scripts = ld(&json).repeat(3);
        let found = extract(&scripts);
        assert_eq!(found.len(), MAX_FOUND);
        let microdata = r#"<div itemscope itemtype="http://schema.org/Order"><meta itemprop="orderNumber" content="N"><span itemprop="orderedItem">x</span></div>"#;
        let many: String = (0..2000)
            .map(|i| microdata.replace("\"N\"", &format!("\"N{i}\"")))
            .collect();
        assert_eq!(extract(&many).len(), MAX_FOUND);
    }

    #[test]
    fn hostile_pages_are_read_quickly() {
        // Each of these made an HTML tree builder (which looks down its
        // stack of open elements) take hours at 2 MB; here they are linear.
        let item = r#"<div itemscope itemtype="http://schema.org/Order"><meta itemprop="orderNumber" content="1">"#;
        let deep_json = format!(
            "<script type=application/ld+json>{}{}</script>",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let pages = [
            "<div>".repeat(500_000),
            (0..200_000).map(|i| format!("<b a={i}>x")).collect(),
            "<table><tr><td>".repeat(200_000),
            "<span itemscope itemprop=x>".repeat(100_000),
            format!("{item}{}", "<span itemprop=name>a<i></i>".repeat(100_000)),
            format!(
                "{item}{}{}",
                "<span itemprop=name>".repeat(600),
                "ab".repeat(800_000)
            ),
            format!("{item}{}", "<div itemprop=x itemscope>".repeat(200)),
            "<script type=application/ld+json>{\"a\":".repeat(60_000),
            deep_json,
            "\u{1F600}".repeat(MAX_HTML_BYTES),
            references(),
        ];
        for page in &pages {
            let start = std::time::Instant::now();
            let found = extract(page);
            assert!(found.len() <= MAX_FOUND);
            let took = start.elapsed();
            assert!(
                took < std::time::Duration::from_secs(20),
                "{took:?} for a page starting {:?}",
                &page[..40]
            );
        }
    }

    /// Nodes whose every name and price is a hundred references to the
    /// next: read naively, 100^30 reads.
    fn references() -> String {
        let refs = |to: usize| {
            let one = format!(r##"{{"@id": "#n{to}"}}"##);
            format!("[{}]", vec![one; 100].join(","))
        };
        let nodes: Vec<String> = (0..30)
            .map(|i| {
                format!(
                    r##"{{"@type": "Order", "@id": "#n{i}", "name": {r}, "orderNumber": {r}, "price": {r},
                       "acceptedOffer": {r}, "seller": {r}}}"##,
                    r = refs(i + 1)
                )
            })
            .collect();
        ld(&format!("[{}]", nodes.join(",")))
    }

    #[test]
    fn cut_bytes_keeps_characters_whole() {
        assert_eq!(cut_bytes("héllo", 2), "h");
        assert_eq!(cut_bytes("héllo", 3), "hé");
        assert_eq!(cut_bytes("abc", 10), "abc");
    }

    /// A name that is already clean (single spaces, nothing hidden), with
    /// what HTML and JSON must escape.
    fn clean_name() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9éß日本\"'<>&\\\\/]{1,8}( [a-zA-Z0-9éß日本\"'<>&\\\\/]{1,8}){0,3}"
    }

    fn escape_html(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    }

    fn json(s: &str) -> String {
        serde_json::to_string(s).unwrap_or_default()
    }

    /// Harmless HTML around the markup.
    fn noise() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "<p>Thanks for your order</p>",
                "<div>",
                "</div>",
                "<table><tr><td>x</td></tr></table>",
                "<br>",
                "<!-- a note -->",
                "<span>&amp; more</span>",
                "<ul><li>one<li>two</ul>",
                "<style>p { color: red }</style>",
                "<script>var s = '<div itemscope>';</script>",
                "<b><i>",
                "</i></b>",
                "<img src=x.png alt=''>",
                "<p>Total: £12.34",
            ]),
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    #[derive(Debug, Clone)]
    struct Generated {
        order_number: String,
        merchant: String,
        currency: String,
        date: NaiveDate,
        date_time: bool,
        items: Vec<(String, String)>,
    }

    fn generated() -> impl Strategy<Value = Generated> {
        (
            "[A-Z0-9][A-Z0-9-]{0,15}",
            clean_name(),
            "[a-zA-Z]{3}",
            (2000i32..2100, 1u32..=12, 1u32..=28),
            any::<bool>(),
            prop::collection::btree_map(clean_name(), "(0|[1-9][0-9]{0,5})(\\.[0-9]{1,2})?", 1..5),
        )
            .prop_map(
                |(order_number, merchant, currency, (y, m, d), date_time, items)| Generated {
                    order_number,
                    merchant,
                    currency,
                    date: NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(),
                    date_time,
                    items: items.into_iter().collect(),
                },
            )
    }

    impl Generated {
        fn date_text(&self) -> String {
            if self.date_time {
                format!("{}T23:30:00-11:00", self.date)
            } else {
                self.date.to_string()
            }
        }

        fn expected(&self) -> Vec<Found> {
            self.items
                .iter()
                .map(|(name, price)| Found {
                    kind: FoundKind::Order,
                    item: Some(name.clone()),
                    order_number: Some(self.order_number.clone()),
                    price: Some(price.clone()),
                    currency: Some(self.currency.to_ascii_uppercase()),
                    merchant: Some(self.merchant.clone()),
                    date: Some(self.date),
                    tracking: None,
                })
                .collect()
        }

        fn json_ld(&self, number_prices: bool) -> String {
            let offers: Vec<String> = self
                .items
                .iter()
                .map(|(name, price)| {
                    let price = if number_prices && !price.contains('.') {
                        price.clone()
                    } else {
                        json(price)
                    };
                    format!(
                        r#"{{"@type": "Offer", "itemOffered": {{"@type": "Product", "name": {}}}, "price": {price}, "priceCurrency": {}}}"#,
                        json(name),
                        json(&self.currency)
                    )
                })
                .collect();
            format!(
                r#"<script type="application/ld+json">{{"@context": "http://schema.org", "@type": "Order",
                  "orderNumber": {}, "merchant": {{"@type": "Organization", "name": {}}},
                  "orderDate": {}, "acceptedOffer": [{}]}}</script>"#,
                json(&self.order_number),
                json(&self.merchant),
                json(&self.date_text()),
                offers.join(", ")
            )
        }

        fn microdata(&self, names_as_text: bool) -> String {
            let offers: String = self
                .items
                .iter()
                .map(|(name, price)| {
                    let name = if names_as_text {
                        format!(r#"<span itemprop="name">{}</span>"#, escape_html(name))
                    } else {
                        format!(r#"<meta itemprop="name" content="{}">"#, escape_html(name))
                    };
                    format!(
                        r#"<tr itemprop="acceptedOffer" itemscope itemtype="http://schema.org/Offer">
                          <td itemprop="itemOffered" itemscope itemtype="http://schema.org/Product">{name}</td>
                          <td><meta itemprop="priceCurrency" content="{}"><span itemprop="price">{price}</span></td></tr>"#,
                        escape_html(&self.currency)
                    )
                })
                .collect();
            format!(
                r#"<div itemscope itemtype="https://schema.org/Order">
                  <p>Order <span itemprop="orderNumber">{}</span></p>
                  <div itemprop="merchant" itemscope itemtype="https://schema.org/Organization">
                    <meta itemprop="name" content="{}"></div>
                  <time itemprop="orderDate" datetime="{}">soon</time>
                  <table>{offers}</table></div>"#,
                escape_html(&self.order_number),
                escape_html(&self.merchant),
                self.date_text()
            )
        }
    }

    /// Bits of HTML that open and close elements, items and scripts.
    fn html_ish() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec![
                    "<div itemscope itemtype=\"http://schema.org/Order\">",
                    "<span itemprop=\"orderNumber\">",
                    "<meta itemprop=\"price\" content=\"1.5\">",
                    "<div itemprop=\"acceptedOffer\" itemscope>",
                    "<script type=\"application/ld+json\">",
                    "</script>",
                    "{\"@type\": \"Order\", \"orderNumber\": ",
                    "[",
                    "]",
                    "{",
                    "}",
                    "\"@graph\":",
                    "\"@id\": \"#a\"",
                    "</div>",
                    "</span>",
                    "<p>",
                    "<li>",
                    "<td>",
                    "<tr>",
                    "<table>",
                    "</table>",
                    "<style>",
                    "</style>",
                    "<textarea>",
                    "<plaintext>",
                    "<svg><![CDATA[",
                    "<!--",
                    "-->",
                    "&amp;",
                    "&#x0;",
                    "&#1114112;",
                    "\u{0}",
                    "\u{202e}",
                    "<",
                    ">",
                    "\"",
                ])
                .prop_map(str::to_owned),
                any::<String>(),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    #[test]
    fn markup_in_upper_case_is_still_read_and_a_page_without_any_is_skipped() {
        let upper = r#"<HTML><BODY><DIV ITEMSCOPE ITEMTYPE="http://schema.org/Order"><META ITEMPROP="orderNumber" CONTENT="A-1"></DIV>
            <SCRIPT TYPE="application/ld+json">{"@type": "Order", "orderNumber": "B-2"}</SCRIPT></BODY></HTML>"#;
        assert!(may_have_markup(upper));
        let numbers: Vec<_> = extract(upper)
            .into_iter()
            .filter_map(|f| f.order_number)
            .collect();
        assert_eq!(numbers.len(), 2, "{numbers:?}");
        let plain = "<html><body><p>Our summer sale: 20% off, order now</p></body></html>";
        assert!(!may_have_markup(plain));
        assert!(extract(plain).is_empty());
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            prop_assert!(extract(&text).len() <= MAX_FOUND);
        }

        /// The quick check skips only pages that hold nothing: whatever
        /// the case of the tags and attributes, its answer is the full read's.
        #[test]
        fn the_quick_check_never_hides_markup(html in html_ish(), flips in any::<u64>()) {
            let html: String = html
                .chars()
                .enumerate()
                .map(|(i, c)| if flips >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
                .collect();
            prop_assert_eq!(extract(&html), read_all(&html));
        }

        #[test]
        fn never_panics_on_html_ish_text(html in html_ish()) {
            let found = extract(&html);
            prop_assert!(found.len() <= MAX_FOUND);
            for f in found {
                prop_assert!(f.item.is_some() || f.order_number.is_some() || f.price.is_some());
                for s in [&f.item, &f.order_number, &f.price, &f.currency, &f.merchant, &f.tracking]
                    .into_iter()
                    .flatten()
                {
                    prop_assert!(!s.is_empty() && s.chars().count() <= MAX_TEXT_CHARS);
                    prop_assert!(!s.chars().any(is_hidden));
                    prop_assert_eq!(s.trim(), s.as_str());
                }
            }
        }

        #[test]
        fn an_order_in_json_ld_comes_back_as_it_was(
            order in generated(),
            before in noise(),
            after in noise(),
            number_prices in any::<bool>(),
        ) {
            let html = format!("<html><body>{before}{}{after}</body></html>", order.json_ld(number_prices));
            prop_assert_eq!(extract(&html), order.expected());
        }

        #[test]
        fn an_order_in_microdata_comes_back_as_it_was(
            order in generated(),
            before in noise(),
            after in noise(),
            names_as_text in any::<bool>(),
        ) {
            let html = format!("<html><body>{before}{}{after}</body></html>", order.microdata(names_as_text));
            prop_assert_eq!(extract(&html), order.expected());
        }
    }
}
