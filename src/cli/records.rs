//! `vrm brand|record`: the brands and records in the vault.

use std::collections::BTreeMap;

use serde_json::json;

use super::args::{BrandCommand, BrandFields, FilterArgs, RecordCommand};
use super::io::{
    CliResult, Ctx, Failure, confirm, print_json, short, warn_damaged, warn_wal_residue,
};
use super::out::{errln, outln};
use vrm_vault::model::{Page, PageRequest};
use vrm_vault::{BrandId, NewRecord, Record, RecordFilter, RecordPatch, SearchItem, Vault};

pub(super) fn brand(ctx: &Ctx<'_>, cmd: &BrandCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        BrandCommand::Add { name, fields } => {
            let input = clone_fields(fields).into_input(Some(name.clone()));
            let b = vault.add_brand(&input)?;
            outln!("{}", b.id);
        }
        BrandCommand::List { json } => {
            let brands = vault.brands()?;
            warn_damaged(&mut vault)?;
            if *json {
                return print_json(&brands);
            }
            if brands.is_empty() {
                errln!("No brands yet. Add one: vrm brand add NAME --domain example.com");
            }
            for b in brands {
                outln!(
                    "{}  {}{}",
                    short(&b.id),
                    b.name,
                    b.domain.map(|d| format!("  ({d})")).unwrap_or_default()
                );
            }
        }
        BrandCommand::Show { brand, json } => {
            let page = vault.brand_page(brand)?;
            if *json {
                let mut v =
                    serde_json::to_value(&page.brand).map_err(|e| Failure::Other(e.to_string()))?;
                v["records"] = serde_json::to_value(&page.records)
                    .map_err(|e| Failure::Other(e.to_string()))?;
                return print_json(&v);
            }
            let (b, records) = (page.brand, page.records);
            outln!("{}", b.name);
            outln!("  id:             {}", b.id);
            for (label, value) in [
                ("domain", &b.domain),
                ("contact", &b.contact),
                ("notes", &b.notes),
                ("age recipient", &b.age_recipient),
                ("did", &b.did),
                ("inbox", &b.inbox),
            ] {
                if let Some(v) = value {
                    outln!("  {:<15} {v}", format!("{label}:"));
                }
            }
            if b.allow_private_inbox {
                outln!("  {:<15} yes", "private inbox:");
            }
            outln!("  added:          {}", b.created_at.format("%Y-%m-%d"));
            outln!();
            if records.is_empty() {
                outln!("No records for {} yet.", b.name);
            } else {
                outln!("Timeline ({} records, newest first):", records.len());
                let names = brand_names(&mut vault)?;
                for r in &records {
                    outln!("  {}", record_line(r, &names));
                }
            }
        }
        BrandCommand::Edit {
            brand,
            name,
            fields,
        } => {
            let input = clone_fields(fields).into_input(name.clone());
            let b = vault.update_brand(brand, &input)?;
            errln!("Updated {}.", b.name);
        }
        BrandCommand::Delete { brand, yes } => {
            let b = vault.brand(brand)?;
            let n = vault
                .list_records(&RecordFilter {
                    brand: Some(b.id.to_string()),
                    ..Default::default()
                })?
                .len();
            if !yes {
                confirm(&format!(
                    "Delete {} and its {n} record(s) for good? This cannot be undone. [y/N] ",
                    b.name
                ))?;
            }
            let deleted = vrm_vault::delete_brand(&mut vault, &b.id)?;
            errln!("Deleted {} and {deleted} record(s).", b.name);
            warn_wal_residue(&vault);
        }
    }
    Ok(())
}

pub(super) fn clone_fields(f: &BrandFields) -> BrandFields {
    BrandFields {
        domain: f.domain.clone(),
        contact: f.contact.clone(),
        notes: f.notes.clone(),
        age_recipient: f.age_recipient.clone(),
        did: f.did.clone(),
        inbox: f.inbox.clone(),
        allow_private_inbox: f.allow_private_inbox,
    }
}

pub(super) fn record(ctx: &Ctx<'_>, cmd: &RecordCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        RecordCommand::Add {
            kind,
            brand,
            fields,
            tags,
        } => {
            let new = NewRecord {
                kind: *kind,
                brand: brand.clone(),
                fields: to_map(fields)?,
                tags: tags.clone(),
            };
            let r = vault.add_record(&new)?;
            outln!("{}", r.id);
        }
        RecordCommand::List {
            filter,
            limit,
            offset,
            json,
        } => {
            let filter = RecordFilter::from(FilterArgs {
                brand: filter.brand.clone(),
                kind: filter.kind,
                tags: filter.tags.clone(),
                since: filter.since,
                until: filter.until,
            });
            let records = match limit {
                None => vault.list_records(&filter)?,
                Some(limit) => {
                    let page = vault.list_records_page(
                        &filter,
                        PageRequest {
                            offset: offset.unwrap_or(0),
                            limit: *limit,
                        },
                    )?;
                    errln!("{}", page_note(&page));
                    page.items
                }
            };
            warn_damaged(&mut vault)?;
            if *json {
                return print_json(&records);
            }
            if records.is_empty() && limit.is_none() {
                errln!("No records. Add one: vrm record add --kind note --field text=…");
            }
            let names = brand_names(&mut vault)?;
            for r in &records {
                outln!("{}", record_line(r, &names));
            }
        }
        RecordCommand::Show { id, json } => {
            let r = vault.record(id)?;
            if *json {
                return print_json(&r);
            }
            let names = brand_names(&mut vault)?;
            outln!("{} ({})", r.kind, r.id);
            if let Some(b) = &r.brand {
                outln!(
                    "  brand:    {}",
                    names.get(b).map(String::as_str).unwrap_or(b)
                );
            }
            for (k, v) in &r.fields {
                outln!("  {:<9} {v}", format!("{k}:"));
            }
            if !r.tags.is_empty() {
                outln!("  tags:     {}", r.tags.join(", "));
            }
            outln!("  added:    {}", r.created_at.format("%Y-%m-%d %H:%M UTC"));
            outln!("  changed:  {}", r.updated_at.format("%Y-%m-%d %H:%M UTC"));
        }
        RecordCommand::Edit {
            id,
            kind,
            brand,
            no_brand,
            fields,
            remove_fields,
            tags,
            untags,
        } => {
            let patch = RecordPatch {
                kind: *kind,
                brand: if *no_brand {
                    Some(None)
                } else {
                    brand.clone().map(Some)
                },
                set: to_map(fields)?,
                remove: remove_fields.clone(),
                add_tags: tags.clone(),
                remove_tags: untags.clone(),
            };
            if patch == RecordPatch::default() {
                return Err(Failure::Usage(
                    "nothing to change: give --field, --tag, --kind, --brand…".into(),
                ));
            }
            let r = vault.update_record(id, &patch)?;
            errln!("Updated {}.", short(&r.id));
        }
        RecordCommand::History { id, json } => {
            let history = vault.sync().history(id)?;
            if *json {
                return print_json(&history);
            }
            if history.is_empty() {
                outln!("Record {id} has no values set aside by a merge.");
            }
            for e in history {
                let at = chrono::DateTime::from_timestamp_millis(e.at_ms as i64)
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                outln!(
                    "{:>3}  {at}  {} = {}",
                    e.version,
                    vrm_vault::model::text::line(&e.field),
                    vrm_vault::model::text::line(e.value.as_deref().unwrap_or("(absent)"))
                );
            }
        }
        RecordCommand::Restore { id, version } => {
            let r = vault.sync().restore(id, *version)?;
            errln!(
                "Put value {version} of the history back into record {}.",
                r.id
            );
        }
        RecordCommand::Delete { ids } => {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let deleted = vault.delete_records(&ids)?;
            errln!("Deleted {deleted} record(s).");
            warn_wal_residue(&vault);
        }
    }
    Ok(())
}

pub(super) fn to_map(fields: &[(String, String)]) -> CliResult<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for (k, v) in fields {
        if map
            .insert(k.trim().to_ascii_lowercase(), v.clone())
            .is_some()
        {
            return Err(Failure::Usage(format!("--field {k} is given twice")));
        }
    }
    Ok(map)
}

pub(super) fn brand_names(vault: &mut Vault) -> CliResult<BTreeMap<BrandId, String>> {
    Ok(vault
        .brands()?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect())
}

/// A search hit as JSON: records as they are; brands with `kind: "brand"`,
/// `brand: null` and their details under `fields`, so every item has the
/// same four keys.
pub(super) fn search_item_json(item: &SearchItem) -> serde_json::Value {
    match item {
        SearchItem::Brand { brand: b } => {
            let mut fields = serde_json::Map::new();
            for (k, v) in [
                ("domain", &b.domain),
                ("contact", &b.contact),
                ("notes", &b.notes),
            ] {
                if let Some(v) = v {
                    fields.insert(k.into(), json!(v));
                }
            }
            json!({"id": b.id, "kind": "brand", "brand": null, "name": b.name, "fields": fields})
        }
        SearchItem::Record { record } => {
            serde_json::to_value(record).unwrap_or(serde_json::Value::Null)
        }
    }
}

/// One line per record: id, date, kind, brand, and the most telling fields.
pub(super) fn record_line(r: &Record, brands: &BTreeMap<BrandId, String>) -> String {
    let brand = r
        .brand
        .as_ref()
        .map(|b| {
            brands
                .get(b)
                .cloned()
                .unwrap_or_else(|| short(b).to_string())
        })
        .unwrap_or_else(|| "-".into());
    let summary: Vec<String> = r
        .fields
        .iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| {
            let v: String = v.chars().take(60).collect();
            format!("{k}={v}")
        })
        .collect();
    let tags = if r.tags.is_empty() {
        String::new()
    } else {
        format!("  #{}", r.tags.join(" #"))
    };
    format!(
        "{}  {}  {:<12} {:<16} {}{}",
        short(&r.id),
        r.date(),
        r.kind.as_str(),
        brand,
        summary.join("  "),
        tags
    )
}

/// What part of the matches a page is: "records 201–400 of 1000".
fn page_note(page: &Page<Record>) -> String {
    if page.items.is_empty() {
        return format!(
            "no records from {} (of {})",
            page.offset.saturating_add(1),
            page.total
        );
    }
    format!(
        "records {}–{} of {}",
        page.offset.saturating_add(1),
        page.offset.saturating_add(page.items.len()),
        page.total
    )
}
