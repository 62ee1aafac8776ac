//! The shell's own checks: the TypeScript bindings match the Rust types, and
//! the capability grants exactly the app's commands.

use ts_rs::{Config, TS};

use vrm_vault::model::{FieldSpecView, KindSpec};
use vrm_vault::rights::contact::{Channel, ContactPurpose, ContactRules, Violation, ViolationKind};
use vrm_vault::rights::requests::{
    BrandViolations, NewRightsRequest, RightsRequest, RightsRequestView, StatusChange,
};
use vrm_vault::rights::{Regime, RequestStatus, Right, RightInfo};
use vrm_vault::share::{
    Acknowledgment, ExposureItem, Holder, Revocation, Share, ShareRequest, ShareStatus, ShareView,
    SharedItem, Written,
};
use vrm_vault::terms::agreement::{Agreement, BrandTermsStatus, Decision, TermsRef, TermsVersion};
use vrm_vault::terms::{
    ChannelOption, ClauseChange, Clauses, Purpose, PurposeOption, Template, TemplateInfo,
    TermsOptions, TermsPreview, ThirdParty,
};
use vrm_vault::transfer::{ExportSummary, ImportSummary};
use vrm_vault::vault::VaultInfo;
use vrm_vault::vault::audit::{AuditAction, AuditEntry, AuditLog, AuditReport};
use vrm_vault::vault::session::SessionStatus;
use vrm_vault::vault::settings::Settings;
use vrm_vault::{
    Brand, BrandInput, BrandPage, NewRecord, Record, RecordFilter, RecordKind, RecordPatch,
    SearchItem,
};

use crate::CommandError;
use crate::commands::ImportProgress;
use crate::relations::FileChoice;
use vrm_vault::intent::{
    Delivery, DeliveryStatus, Intent, IntentInput, IntentStatus, IntentView, Offer, OfferDecision,
    OfferView,
};

const BINDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/bindings.ts");

/// A type in the bindings: its name, its declaration, and the names of the
/// declared types it refers to.
struct Declared {
    name: String,
    decl: String,
    uses: Vec<String>,
}

macro_rules! declared {
    ($cfg:expr; $($t:ty),* $(,)?) => {
        vec![$(Declared {
            name: <$t>::ident($cfg),
            decl: <$t>::decl($cfg),
            uses: <$t>::dependencies($cfg).into_iter().map(|d| d.ts_name).collect(),
        }),*]
    };
}

/// Every type that crosses the IPC boundary.
fn declared() -> Vec<Declared> {
    // usize and u32 travel as JSON numbers.
    let cfg = Config::new().with_large_int("number");
    declared![&cfg;
        Brand,
        BrandInput,
        BrandPage,
        RecordKind,
        Record,
        NewRecord,
        RecordPatch,
        RecordFilter,
        SearchItem,
        KindSpec,
        FieldSpecView,
        SessionStatus,
        VaultInfo,
        Settings,
        ImportSummary,
        ExportSummary,
        ImportProgress,
        // Files chosen through the dialogs.
        FileChoice,
        // Terms.
        Template,
        TemplateInfo,
        Purpose,
        ThirdParty,
        Channel,
        ContactRules,
        Clauses,
        PurposeOption,
        ChannelOption,
        TermsOptions,
        TermsPreview,
        TermsVersion,
        TermsRef,
        Decision,
        ClauseChange,
        Agreement,
        BrandTermsStatus,
        // Shares and exposure.
        ShareRequest,
        SharedItem,
        Revocation,
        Acknowledgment,
        Share,
        ShareStatus,
        ShareView,
        Holder,
        ExposureItem,
        Written,
        // Data-rights requests.
        Regime,
        Right,
        RightInfo,
        RequestStatus,
        StatusChange,
        RightsRequest,
        RightsRequestView,
        NewRightsRequest,
        // Contact rules and the activity log.
        ContactPurpose,
        ViolationKind,
        Violation,
        BrandViolations,
        AuditAction,
        AuditEntry,
        AuditReport,
        AuditLog,
        // Intents and offers.
        IntentInput,
        Intent,
        IntentStatus,
        IntentView,
        Delivery,
        DeliveryStatus,
        Offer,
        OfferDecision,
        OfferView,
        CommandError,
    ]
}

/// Every type that crosses the IPC boundary, as one TypeScript module.
fn bindings() -> String {
    let mut out = String::from(
        "// Generated from the Rust types by `cargo test -p vrm-vault-app bindings`.\n\
         // Do not edit: change the Rust type, then run it with UPDATE_BINDINGS=1.\n",
    );
    for d in declared() {
        out.push_str("\nexport ");
        out.push_str(&d.decl);
        out.push('\n');
    }
    out
}

#[test]
fn the_bindings_declare_every_type_they_refer_to_once() {
    let list = declared();
    let names: Vec<&str> = list.iter().map(|d| d.name.as_str()).collect();
    for d in &list {
        for used in &d.uses {
            assert!(
                names.contains(&used.as_str()),
                "{} refers to {used}, which the bindings do not declare",
                d.name
            );
        }
        assert_eq!(
            names.iter().filter(|n| **n == d.name).count(),
            1,
            "{} is declared twice",
            d.name
        );
    }
}

#[test]
fn typescript_bindings_match_the_rust_types() {
    let fresh = bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(BINDINGS, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(BINDINGS).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/bindings.ts is out of date with the Rust types; run \
         UPDATE_BINDINGS=1 cargo test -p vrm-vault-app bindings and commit it"
    );
}

#[test]
fn the_capability_grants_exactly_the_app_commands_and_nothing_risky() {
    let text = include_str!("../capabilities/main.json");
    let cap: serde_json::Value = serde_json::from_str(text).unwrap();
    let granted: Vec<&str> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for name in crate::COMMAND_NAMES {
        let perm = format!("allow-{}", name.replace('_', "-"));
        assert!(granted.contains(&perm.as_str()), "{perm} is not granted");
    }
    for p in &granted {
        let ok = p.starts_with("allow-")
            || *p == "core:event:allow-listen"
            || *p == "core:event:allow-unlisten";
        assert!(
            ok,
            "unexpected permission {p}: only the app's commands and event listening"
        );
    }
    assert_eq!(granted.len(), crate::COMMAND_NAMES.len() + 2);
}

#[test]
fn the_handler_list_and_the_permitted_command_names_are_the_same() {
    // build.rs makes a permission per name in NAMES; a command registered in
    // lib.rs but missing there would fail at run time only.
    let lib = include_str!("lib.rs");
    let start = lib.find("generate_handler![").expect("a handler list") + 18;
    let end = start + lib[start..].find(']').expect("the list ends");
    let mut handled: Vec<&str> = lib[start..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|path| path.rsplit("::").next().unwrap())
        .collect();
    let mut names = crate::COMMAND_NAMES.to_vec();
    handled.sort_unstable();
    names.sort_unstable();
    assert_eq!(
        handled, names,
        "lib.rs's generate_handler! and command_names.rs must list the same commands"
    );
}

#[test]
fn the_content_security_policy_is_strict() {
    let conf: serde_json::Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("a CSP is set");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    for directive in csp.split(';') {
        for source in directive.split_whitespace().skip(1) {
            let allowed = ["'self'", "'none'", "data:", "ipc:", "http://ipc.localhost"];
            assert!(
                allowed.contains(&source),
                "{source} in {directive:?}: no unsafe-eval, unsafe-inline or remote origins"
            );
        }
    }
    assert_eq!(
        conf["app"]["withGlobalTauri"],
        serde_json::Value::Bool(false)
    );
}

/// A private session bus (dbus-daemon), a fake screensaver on it announcing
/// that the screen locked: the watcher must call back.
#[test]
fn a_screensaver_lock_signal_locks_the_vault() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon (Debian package dbus) is needed for this test");
    let mut address = String::new();
    BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let connect = || {
        zbus::blocking::connection::Builder::address(address.trim())
            .unwrap()
            .build()
            .unwrap()
    };
    let screensaver = connect();
    screensaver
        .request_name("org.freedesktop.ScreenSaver")
        .unwrap();

    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let tx = std::sync::Arc::new(tx);
    crate::lock_signals::watch_screensavers(&connect(), move |reason| {
        let _ = tx.lock().unwrap().send(reason);
    });
    std::thread::sleep(Duration::from_millis(500));
    let emit = |active: bool| {
        screensaver
            .emit_signal(
                None::<()>,
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver",
                "ActiveChanged",
                &(active,),
            )
            .unwrap();
    };
    emit(false);
    emit(true);
    let got = rx.recv_timeout(Duration::from_secs(5));
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(
        got,
        Ok("screen locked"),
        "the lock signal reached the watcher"
    );
    assert!(rx.try_recv().is_err(), "ActiveChanged(false) does not lock");
}
