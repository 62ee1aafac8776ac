//! Merging a row edited on several devices, field by field.
//!
//! A row (a record, a brand, a document) is read as a set of fields: the
//! keys of its JSON object, and one level further for an object inside it
//! (a record's `fields`), so `fields/price` and `fields/item` merge apart.
//! Each field is a register with the stamp of the edit that last wrote it
//! (a hybrid logical clock reading, then the device id): of two values the
//! one with the later stamp wins, wherever and in whatever order they meet,
//! so every device ends with the same row. The losing value is handed back
//! to be kept in the row's history, never dropped, unless the later edit
//! was made by the device that wrote it (which had seen it).
//!
//! A device sends the whole state of a row it changed (every field with its
//! stamp), not a diff: a device that never saw the row's creation (an
//! object not delivered yet) still gets a whole row, and applying a state
//! twice, or old after new, changes nothing.
//!
//! A delete is final: a deleted row's state is a tombstone with no fields,
//! and it wins over any edit, earlier or concurrent. What was deleted is not
//! kept in history: the person asked for it to be gone everywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::hlc::Hlc;
use super::object::DeviceId;

/// When and where an edit was made: the order of edits across devices.
/// Compared by clock reading first, then device id, never by wall clock
/// alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// The clock reading of the edit.
    pub hlc: Hlc,
    /// The device that made it.
    pub device: [u8; 16],
}

impl Stamp {
    /// The stamp of an edit at `hlc` on `device`.
    pub fn new(hlc: Hlc, device: DeviceId) -> Self {
        Stamp {
            hlc,
            device: device.0,
        }
    }
}

/// A row as fields: each field's name and its value as JSON text.
pub type Fields = BTreeMap<String, String>;

/// The fields of a row's JSON object (see the module's comment).
pub fn flatten(row: &Value) -> Fields {
    let mut out = Fields::new();
    if let Value::Object(map) = row {
        for (key, value) in map {
            match value {
                Value::Object(inner) if !inner.is_empty() => {
                    for (k, v) in inner {
                        out.insert(format!("{key}/{k}"), v.to_string());
                    }
                }
                _ => {
                    out.insert(key.clone(), value.to_string());
                }
            }
        }
    }
    out
}

/// The row's JSON object from its fields (the inverse of [`flatten`]). A
/// field whose text is not JSON (never made by `flatten`) is left out.
pub fn unflatten(fields: &Fields) -> Value {
    let mut out = serde_json::Map::new();
    for (name, text) in fields {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        match name.split_once('/') {
            Some((outer, inner)) => {
                let slot = out
                    .entry(outer.to_string())
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(map) = slot {
                    map.insert(inner.to_string(), value);
                }
            }
            None => {
                out.insert(name.clone(), value);
            }
        }
    }
    Value::Object(out)
}

/// One field of a row's state as sent: its stamp and value (`None` once
/// the field was removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    /// The edit that wrote it.
    pub stamp: Stamp,
    /// Its value as JSON text, or `None`: removed.
    pub value: Option<String>,
}

/// A row's whole state as a device sends it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RowState {
    /// Set once the row was deleted (and then there are no fields).
    pub deleted: Option<Stamp>,
    /// Every field with the edit that wrote it.
    pub fields: BTreeMap<String, Register>,
}

/// A field's value as the clock remembers it: a digest, so the clock does
/// not hold a second copy of the data.
type ValueDigest = [u8; 16];

fn digest(value: Option<&str>) -> ValueDigest {
    let Some(v) = value else { return [0; 16] };
    let full = crate::crypto::sha256(v.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    // A value never digests to the digest of "removed".
    out[0] |= 1;
    out
}

/// What a device keeps of a row between syncs: the stamp of each field and
/// a digest of the value it had then, to see which fields were edited
/// since.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RowClock {
    /// Set once the row was deleted.
    pub deleted: Option<Stamp>,
    /// Each field's stamp and the digest of its value (`[0; 16]`: removed).
    pub fields: BTreeMap<String, (Stamp, ValueDigest)>,
}

/// What merging a row's state from another device came to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Merged {
    /// The row as it is to be written, or `None`: deleted.
    pub row: Option<Fields>,
    /// Whether the row must be written (or deleted).
    pub changed: bool,
    /// How many of its fields took the other device's value.
    pub fields: usize,
    /// Values that lost to a later edit of the same field, from either
    /// side, for the row's history (field name, value; `None`: removed).
    pub lost: Vec<(String, Option<String>)>,
}

impl RowClock {
    /// Stamps with `stamp` every field of `current` (the row now, `None`
    /// if it is gone) that was edited, added or removed since the clock
    /// last saw it; a gone row becomes a tombstone. Says whether anything
    /// changed. Run it over a device's own edits before merging another's.
    pub fn capture(&mut self, current: Option<&Fields>, stamp: Stamp) -> bool {
        if self.deleted.is_some() {
            return false;
        }
        let Some(current) = current else {
            self.deleted = Some(stamp);
            self.fields.clear();
            return true;
        };
        let mut changed = false;
        for (name, value) in current {
            let d = digest(Some(value));
            if self.fields.get(name).map(|f| f.1) != Some(d) {
                self.fields.insert(name.clone(), (stamp, d));
                changed = true;
            }
        }
        for (name, field) in self.fields.iter_mut() {
            if !current.contains_key(name) && field.1 != digest(None) {
                *field = (stamp, digest(None));
                changed = true;
            }
        }
        changed
    }

    /// The row's state to send: the clock's stamps with the values of
    /// `current` (the row as captured).
    pub fn state(&self, current: Option<&Fields>) -> RowState {
        if self.deleted.is_some() {
            return RowState {
                deleted: self.deleted,
                fields: BTreeMap::new(),
            };
        }
        let fields = self
            .fields
            .iter()
            .map(|(name, (stamp, _))| {
                let value = current.and_then(|c| c.get(name)).cloned();
                (
                    name.clone(),
                    Register {
                        stamp: *stamp,
                        value,
                    },
                )
            })
            .collect();
        RowState {
            deleted: None,
            fields,
        }
    }

    /// Merges `remote` into the row: `current` is the row as this device
    /// has it (captured), `None` if it has none. Updates the clock to the
    /// merged row's.
    pub fn merge(&mut self, current: Option<&Fields>, remote: &RowState) -> Merged {
        if self.deleted.is_some() || remote.deleted.is_some() {
            let was_live = self.deleted.is_none() && current.is_some();
            self.deleted = self.deleted.max(remote.deleted);
            self.fields.clear();
            return Merged {
                row: None,
                changed: was_live,
                fields: 0,
                lost: Vec::new(),
            };
        }
        let mut row = current.cloned().unwrap_or_default();
        let mut changed = false;
        let mut fields = 0;
        let mut lost = Vec::new();
        for (name, theirs) in &remote.fields {
            let ours = self.fields.get(name).copied();
            let our_value = row.get(name).cloned();
            match ours {
                Some((stamp, _)) if stamp == theirs.stamp => {}
                Some((stamp, _)) if stamp > theirs.stamp => {
                    // Ours is later: theirs is kept in history, if it
                    // differs and another device wrote ours (a device's own
                    // later edit saw its earlier one: nothing was lost).
                    if theirs.value != our_value && stamp.device != theirs.stamp.device {
                        lost.push((name.clone(), theirs.value.clone()));
                    }
                }
                _ => {
                    if theirs.value != our_value {
                        let superseded_by_writer =
                            ours.is_some_and(|(stamp, _)| stamp.device == theirs.stamp.device);
                        if (ours.is_some() || our_value.is_some()) && !superseded_by_writer {
                            lost.push((name.clone(), our_value));
                        }
                        match &theirs.value {
                            Some(v) => row.insert(name.clone(), v.clone()),
                            None => row.remove(name),
                        };
                        changed = true;
                        fields += 1;
                    }
                    self.fields.insert(
                        name.clone(),
                        (theirs.stamp, digest(theirs.value.as_deref())),
                    );
                }
            }
        }
        Merged {
            changed: changed || current.is_none() && !row.is_empty(),
            row: Some(row),
            fields,
            lost,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn stamp(ms: u64, device: u8) -> Stamp {
        Stamp {
            hlc: Hlc { ms, count: 0 },
            device: [device; 16],
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), format!("{v:?}")))
            .collect()
    }

    #[test]
    fn a_row_is_its_fields_and_back() {
        let row = json!({
            "kind": "purchase",
            "brand": "b1",
            "fields": {"item": "kettle", "price": "20.00"},
            "tags": ["a", "b"],
            "empty": {},
        });
        let flat = flatten(&row);
        assert_eq!(
            flat.keys().collect::<Vec<_>>(),
            [
                "brand",
                "empty",
                "fields/item",
                "fields/price",
                "kind",
                "tags"
            ]
        );
        assert_eq!(unflatten(&flat), row);
    }

    #[test]
    fn edits_of_different_fields_on_two_devices_both_survive() {
        let base = fields(&[("item", "kettle"), ("price", "20")]);
        let mut a = RowClock::default();
        a.capture(Some(&base), stamp(1, 1));
        let mut b = a.clone();

        let a_row = fields(&[("item", "kettle"), ("price", "25")]);
        a.capture(Some(&a_row), stamp(5, 1));
        let b_row = fields(&[("item", "steel kettle"), ("price", "20")]);
        b.capture(Some(&b_row), stamp(6, 2));

        let on_a = a.merge(Some(&a_row), &b.state(Some(&b_row)));
        let on_b = b.merge(Some(&b_row), &a.state(Some(&a_row)));
        let both = fields(&[("item", "steel kettle"), ("price", "25")]);
        assert_eq!(on_a.row.as_ref(), Some(&both));
        assert_eq!(on_b.row.as_ref(), Some(&both));
        assert!(
            on_a.lost
                .iter()
                .all(|(_, v)| v.as_deref() != Some("\"25\""))
        );
        assert_eq!(a, b);
    }

    #[test]
    fn the_same_field_edited_twice_keeps_the_later_and_hands_back_the_other() {
        let mut a = RowClock::default();
        a.capture(Some(&fields(&[("price", "20")])), stamp(1, 1));
        let mut b = a.clone();
        let a_row = fields(&[("price", "25")]);
        a.capture(Some(&a_row), stamp(9, 1));
        let b_row = fields(&[("price", "30")]);
        // B's wall clock is behind: its edit is earlier by the clock.
        b.capture(Some(&b_row), stamp(7, 2));

        let on_a = a.merge(Some(&a_row), &b.state(Some(&b_row)));
        assert_eq!(on_a.row, Some(a_row.clone()));
        assert!(!on_a.changed);
        assert_eq!(
            on_a.lost,
            [("price".to_string(), Some("\"30\"".to_string()))]
        );
        let on_b = b.merge(Some(&b_row), &a.state(Some(&a_row)));
        assert_eq!(on_b.row, Some(a_row));
        assert!(on_b.changed);
        assert_eq!(
            on_b.lost,
            [("price".to_string(), Some("\"30\"".to_string()))]
        );
    }

    #[test]
    fn equal_clock_readings_are_ordered_by_device() {
        let mut a = RowClock::default();
        let a_row = fields(&[("x", "from a")]);
        a.capture(Some(&a_row), stamp(5, 1));
        let mut b = RowClock::default();
        let b_row = fields(&[("x", "from b")]);
        b.capture(Some(&b_row), stamp(5, 2));
        let on_a = a.merge(Some(&a_row), &b.state(Some(&b_row)));
        assert_eq!(on_a.row, Some(b_row));
    }

    #[test]
    fn a_delete_wins_over_any_edit_and_keeps_nothing() {
        let row = fields(&[("x", "1")]);
        let mut a = RowClock::default();
        a.capture(Some(&row), stamp(1, 1));
        let mut b = a.clone();
        assert!(a.capture(None, stamp(2, 1)));
        let edited = fields(&[("x", "2")]);
        b.capture(Some(&edited), stamp(50, 2));

        let on_b = b.merge(Some(&edited), &a.state(None));
        assert_eq!(on_b.row, None);
        assert!(on_b.changed);
        assert!(on_b.lost.is_empty());
        assert_eq!(b.state(None).fields.len(), 0);
        // The edit arriving after the delete does not bring it back.
        let on_a = a.merge(
            None,
            &RowState {
                deleted: None,
                fields: BTreeMap::from([(
                    "x".into(),
                    Register {
                        stamp: stamp(99, 2),
                        value: Some("\"3\"".into()),
                    },
                )]),
            },
        );
        assert_eq!(on_a.row, None);
        assert!(!on_a.changed);
    }

    #[test]
    fn a_removed_field_is_an_edit_like_any_other() {
        let mut a = RowClock::default();
        a.capture(Some(&fields(&[("x", "1"), ("y", "2")])), stamp(1, 1));
        let mut b = a.clone();
        let a_row = fields(&[("x", "1")]);
        assert!(a.capture(Some(&a_row), stamp(2, 1)));
        let b_row = fields(&[("x", "1"), ("y", "2")]);
        let on_b = b.merge(Some(&b_row), &a.state(Some(&a_row)));
        assert_eq!(on_b.row, Some(a_row));
        // The device that wrote y removed it: it had seen it, nothing is lost.
        assert!(on_b.lost.is_empty(), "{:?}", on_b.lost);
    }

    #[test]
    fn capture_sees_only_what_changed() {
        let row = fields(&[("x", "1")]);
        let mut c = RowClock::default();
        assert!(c.capture(Some(&row), stamp(1, 1)));
        assert!(!c.capture(Some(&row), stamp(2, 1)));
        assert_eq!(c.fields["x"].0, stamp(1, 1));
    }

    /// A replica in the property test: its rows and their clocks.
    #[derive(Debug, Clone, Default)]
    struct Replica {
        row: Option<Fields>,
        clock: RowClock,
        clock_ms: u64,
        /// Every value this replica overwrote or lost, by field.
        history: Vec<(String, Option<String>)>,
    }

    #[derive(Debug, Clone)]
    enum Step {
        Edit {
            replica: usize,
            field: u8,
            value: u8,
            skew: u64,
        },
        Remove {
            replica: usize,
            field: u8,
        },
        Delete {
            replica: usize,
        },
        Sync {
            from: usize,
            to: usize,
        },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0..3usize, 0..4u8, any::<u8>(), 0..3u64).prop_map(|(replica, field, value, skew)| Step::Edit { replica, field, value, skew }),
            1 => (0..3usize, 0..4u8).prop_map(|(replica, field)| Step::Remove { replica, field }),
            1 => (0..3usize).prop_map(|replica| Step::Delete { replica }),
            4 => (0..3usize, 0..3usize).prop_map(|(from, to)| Step::Sync { from, to }),
        ]
    }

    fn sync(reps: &mut [Replica], from: usize, to: usize) {
        if from == to {
            return;
        }
        let state = reps[from].clock.state(reps[from].row.as_ref());
        let r = &mut reps[to];
        let m = r.clock.merge(r.row.as_ref(), &state);
        r.history.extend(m.lost);
        r.row = m.row;
    }

    proptest! {
        /// Three devices edit, remove fields, delete and sync in any order,
        /// with clocks skewed: after everyone syncs with everyone, all hold
        /// the same row; and every value written is in the row, or in some
        /// device's history, or the row was deleted.
        #[test]
        fn three_replicas_converge_and_lose_nothing_acknowledged(steps in proptest::collection::vec(step(), 1..60)) {
            let mut reps = vec![Replica::default(); 3];
            let start = fields(&[("f0", "start")]);
            for (i, r) in reps.iter_mut().enumerate() {
                r.row = Some(start.clone());
                r.clock.capture(Some(&start), stamp(0, 0));
                r.clock_ms = i as u64;
            }
            let mut written: Vec<(String, String)> = Vec::new();
            for s in steps {
                match s {
                    Step::Edit { replica, field, value, skew } => {
                        let r = &mut reps[replica];
                        let Some(row) = r.row.as_mut() else { continue };
                        let name = format!("f{field}");
                        let v = format!("\"{value}-{}\"", written.len());
                        // The vault keeps a record's earlier versions: an
                        // edit's overwritten value is history too.
                        let old = row.insert(name.clone(), v.clone());
                        r.history.push((name.clone(), old));
                        // Skewed clocks: some devices run far ahead.
                        r.clock_ms += 1 + skew * 1_000_000;
                        let now = r.clock.fields.values().map(|f| f.0.hlc).max().unwrap_or_default().tick(r.clock_ms);
                        let row = r.row.clone();
                        r.clock.capture(row.as_ref(), Stamp { hlc: now, device: [replica as u8 + 1; 16] });
                        written.push((name, v));
                    }
                    Step::Remove { replica, field } => {
                        let r = &mut reps[replica];
                        let Some(row) = r.row.as_mut() else { continue };
                        let name = format!("f{field}");
                        let Some(old) = row.remove(&name) else { continue };
                        r.history.push((name, Some(old)));
                        r.clock_ms += 1;
                        let now = r.clock.fields.values().map(|f| f.0.hlc).max().unwrap_or_default().tick(r.clock_ms);
                        let row = r.row.clone();
                        r.clock.capture(row.as_ref(), Stamp { hlc: now, device: [replica as u8 + 1; 16] });
                    }
                    Step::Delete { replica } => {
                        let r = &mut reps[replica];
                        r.row = None;
                        r.clock.capture(None, stamp(r.clock_ms, replica as u8 + 1));
                    }
                    Step::Sync { from, to } => sync(&mut reps, from, to),
                }
            }
            for _ in 0..2 {
                for from in 0..3 {
                    for to in 0..3 {
                        sync(&mut reps, from, to);
                    }
                }
            }
            prop_assert_eq!(&reps[0].row, &reps[1].row);
            prop_assert_eq!(&reps[1].row, &reps[2].row);
            prop_assert_eq!(&reps[0].clock, &reps[2].clock);
            if let Some(row) = &reps[0].row {
                for (name, v) in &written {
                    let present = row.get(name) == Some(v);
                    let kept = reps.iter().any(|r| r.history.iter().any(|(n, h)| n == name && h.as_ref() == Some(v)));
                    prop_assert!(present || kept, "{name}={v} lost");
                }
            }
        }
    }
}
