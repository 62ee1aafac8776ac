//! `vrm discover`: bring brands, interactions, orders and subscriptions in
//! from the person's own mail, for review.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use chrono::NaiveDate;

use super::io::{CliResult, Ctx, parse_day, print_json, read_secret, short};
use super::out::{errln, outln};
use vrm_vault::discover::imap::{ImapAccount, Security};
use vrm_vault::discover::{AcceptOptions, Accepted, Progress, Proposal, RunOptions, Summary};

#[derive(Debug, Subcommand)]
pub(super) enum DiscoverCommand {
    /// Read mbox files (Thunderbird folders, a Google Takeout export)
    Mbox {
        /// The mbox files
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Read Maildir folders (and the Maildir++ folders inside them)
    Maildir {
        /// The Maildir folders
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Read .eml files, or folders of them
    Eml {
        /// Files or folders
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Read an IMAP account, read-only (EXAMINE, BODY.PEEK): only mail earlier runs did not read
    Imap {
        /// The server
        #[arg(long)]
        host: String,
        /// Its port [default: 993, or 143 with --starttls]
        #[arg(long)]
        port: Option<u16>,
        /// The user name
        #[arg(long)]
        user: String,
        /// Read the password from this file (else $VRM_IMAP_PASSWORD, else a prompt)
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// A folder to read (repeatable) [default: INBOX]
        #[arg(long = "folder", value_name = "FOLDER")]
        folders: Vec<String>,
        /// Connect in plain text and upgrade with STARTTLS (never without TLS)
        #[arg(long)]
        starttls: bool,
        /// Trust only the certificates in this PEM file (a private CA)
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
        /// Only mail received on or after this day
        #[arg(long, value_parser = parse_day, value_name = "DATE")]
        since: Option<NaiveDate>,
        /// Give up when the server does not answer for this long
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
        #[command(flatten)]
        run: RunArgs,
    },
    /// The proposals waiting for you: one per brand, with the records it would add
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Accept proposals: each becomes a brand (or adds to the one it matched)
    Accept {
        /// Proposal ids (or unique prefixes)
        #[arg(
            value_name = "ID",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        ids: Vec<String>,
        /// Every proposal waiting
        #[arg(long)]
        all: bool,
        /// One interaction per thread, not per message
        #[arg(long)]
        collapse_threads: bool,
    },
    /// Ignore proposals: their senders are not proposed again
    Ignore {
        /// Proposal ids (or unique prefixes)
        #[arg(value_name = "ID", required = true)]
        ids: Vec<String>,
    },
    /// How to leave a brand's mailing list, as its mail said; --one-click leaves it now
    Unsubscribe {
        /// The brand (id, prefix or name)
        brand: String,
        /// POST the RFC 8058 one-click request (only where its mail offers it)
        #[arg(long)]
        one_click: bool,
    },
    /// Accept a proposal into a brand you already have
    Merge {
        /// Proposal id (or unique prefix)
        id: String,
        /// The brand (id, prefix or name)
        #[arg(long, value_name = "BRAND")]
        into: String,
        /// One interaction per thread, not per message
        #[arg(long)]
        collapse_threads: bool,
    },
}

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// One of your own addresses (repeatable; the emails in your profile count too)
    #[arg(long = "me", value_name = "ADDRESS")]
    me: Vec<String>,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
}

/// Counts on the terminal while a run reads (numbers only: no subject or
/// address is ever printed while reading); drawn by indicatif, so nothing
/// but its own bar reaches the terminal.
struct Counter {
    tty: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Counter {
    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Counter {
    fn update(&mut self, s: &Summary, bytes: Option<(u64, u64)>) {
        if !self.tty {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr())
                .with_style(
                    indicatif::ProgressStyle::with_template("{msg} {bar:30} {percent}%")
                        .expect("a valid template"),
                )
        });
        if let Some((done, total)) = bytes {
            bar.set_length(total);
            bar.set_position(done);
        }
        bar.set_message(format!(
            "Read {} messages, {} for review",
            s.messages, s.staged
        ));
    }
}

pub(super) fn discover(ctx: &Ctx<'_>, cmd: &DiscoverCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    let mut counter = Counter {
        tty: std::io::stderr().is_terminal(),
        bar: None,
    };
    fn opts<'c>(run: &RunArgs, counter: &'c mut Counter) -> RunOptions<'c> {
        RunOptions {
            me: run.me.clone(),
            progress: Some(counter),
            ..Default::default()
        }
    }
    let (summary, json) = match cmd {
        DiscoverCommand::Mbox { files, run } => (
            vault.discovery().mbox(files, opts(run, &mut counter))?,
            run.json,
        ),
        DiscoverCommand::Maildir { dirs, run } => (
            vault.discovery().maildir(dirs, opts(run, &mut counter))?,
            run.json,
        ),
        DiscoverCommand::Eml { paths, run } => (
            vault.discovery().eml(paths, opts(run, &mut counter))?,
            run.json,
        ),
        DiscoverCommand::Imap {
            host,
            port,
            user,
            password_file,
            folders,
            starttls,
            ca_file,
            since,
            timeout,
            run,
        } => {
            let password = read_secret(
                password_file.as_deref(),
                "VRM_IMAP_PASSWORD",
                "IMAP password: ",
            )?;
            let account = ImapAccount {
                host: host.clone(),
                port: *port,
                user: user.clone(),
                password,
                folders: folders.clone(),
                security: if *starttls {
                    Security::StartTls
                } else {
                    Security::Tls
                },
                ca_file: ca_file.clone(),
                since: *since,
                timeout: Some(std::time::Duration::from_secs(*timeout)),
            };
            let (summary, report) = vault.discovery().imap(&account, opts(run, &mut counter))?;
            counter.done();
            if run.json {
                return print_json(
                    &serde_json::json!({ "summary": summary, "folders": report.folders }),
                );
            }
            for f in &report.folders {
                outln!(
                    "{}: {} new message(s), {} fetched whole{}",
                    f.name,
                    f.new_messages,
                    f.fetched_whole,
                    if f.reset {
                        " (the folder was renumbered: read again from the start)"
                    } else {
                        ""
                    }
                );
            }
            (summary, false)
        }
        DiscoverCommand::List { json } => {
            let list = vault.discovery().list()?;
            return if *json {
                print_json(&list)
            } else {
                print_list(&list);
                Ok(())
            };
        }
        DiscoverCommand::Accept {
            ids,
            all,
            collapse_threads,
        } => {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let a = vault.discovery().accept(
                &ids,
                *all,
                AcceptOptions {
                    collapse_threads: *collapse_threads,
                },
            )?;
            print_accepted(&a);
            return Ok(());
        }
        DiscoverCommand::Unsubscribe { brand, one_click } => {
            if *one_click {
                let status = vault.discovery().unsubscribe_one_click(brand)?;
                outln!("Unsubscribed: the list's server answered {status}.");
                return Ok(());
            }
            match vault.discovery().unsubscribe(brand)? {
                Some(u) => {
                    if let Some(m) = &u.mailto {
                        outln!("write to: {m}");
                    }
                    if let Some(h) = &u.https {
                        outln!(
                            "open: {h}{}",
                            if u.one_click {
                                "  (one-click: vrm discover unsubscribe BRAND --one-click)"
                            } else {
                                ""
                            }
                        );
                    }
                }
                None => errln!("Its mail gave no way to unsubscribe."),
            }
            return Ok(());
        }
        DiscoverCommand::Ignore { ids } => {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let n = vault.discovery().ignore(&ids)?;
            outln!("Ignored {n} proposal(s); their senders will not be proposed again.");
            return Ok(());
        }
        DiscoverCommand::Merge {
            id,
            into,
            collapse_threads,
        } => {
            let a = vault.discovery().merge(
                id,
                into,
                AcceptOptions {
                    collapse_threads: *collapse_threads,
                },
            )?;
            print_accepted(&a);
            return Ok(());
        }
    };
    counter.done();
    if json {
        return print_json(&summary);
    }
    print_summary(&summary);
    Ok(())
}

pub(super) fn print_summary(s: &Summary) {
    outln!(
        "Read {} message(s); {} staged for review.",
        s.messages,
        s.staged
    );
    for (reason, n) in &s.skipped {
        outln!("  skipped {n}: {reason}");
    }
    if s.truncated > 0 {
        outln!(
            "  {} too long: read only up to the limit (big attachments are never needed)",
            s.truncated
        );
    }
    outln!(
        "Proposals: {} new, {} updated. See them with `vrm discover list`.",
        s.proposals_new,
        s.proposals_updated
    );
}

fn print_list(list: &[Proposal]) {
    if list.is_empty() {
        errln!(
            "No proposals waiting. Bring some in with `vrm discover mbox FILE` (or maildir, eml, imap)."
        );
        return;
    }
    for p in list {
        let existing = match &p.existing_brand {
            Some(b) => format!("  → adds to brand {}", short(b)),
            None => String::new(),
        };
        outln!("{}  {} <{}>{existing}", short(&p.id), p.name, p.domain);
        outln!(
            "    {} message(s): {} from them, {} from you, {} marketing; {} order(s); {} to {}",
            p.messages,
            p.inbound,
            p.outbound,
            p.marketing,
            p.orders,
            p.first_seen,
            p.last_seen
        );
        if !p.holds.is_empty() {
            outln!("    writes to: {}", p.holds.join(", "));
        }
        for s in &p.samples {
            outln!("    · {s}");
        }
        if let Some(u) = &p.unsubscribe {
            let how = u.https.as_deref().or(u.mailto.as_deref()).unwrap_or("");
            outln!(
                "    unsubscribe: {how}{}",
                if u.one_click { " (one-click)" } else { "" }
            );
        }
    }
}

fn print_accepted(a: &Accepted) {
    let records: Vec<String> = a.records.iter().map(|(k, n)| format!("{n} {k}")).collect();
    outln!(
        "Accepted: {} new brand(s), {} existing brand(s) added to; records: {}.",
        a.brands_new,
        a.brands_updated,
        if records.is_empty() {
            "none".to_string()
        } else {
            records.join(", ")
        }
    );
}
