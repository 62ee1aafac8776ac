use crate::util::*;

/// What `make deb` installs: a man page per visible command, completions for
/// three shells, in Debian's layout, and nothing about the hidden command.
#[test]
fn generate_docs_writes_man_pages_and_completions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("docs");
    vrm(tmp.path())
        .arg("generate-docs")
        .arg(&out)
        .assert()
        .success();
    let share = out.join("usr/share");
    let man = share.join("man/man1");
    let root = std::fs::read_to_string(man.join("vrm.1")).unwrap();
    assert!(root.starts_with(".ie"), "a roff page: {root:.80}");
    assert!(root.contains(".TH vrm 1"), "the vrm page");
    for word in ["brand\\-kit", "EXIT STATUS", "VRM_PASSPHRASE"] {
        assert!(root.contains(word), "vrm.1 names {word}");
    }
    assert!(!root.contains("generate\\-docs"), "hidden stays hidden");
    for page in [
        "vrm-share-create.1",
        "vrm-brand-kit-keygen.1",
        "vrm-record-add.1",
    ] {
        assert!(man.join(page).is_file(), "{page}");
    }
    assert!(!man.join("vrm-generate-docs.1").exists());
    for (file, first) in [
        ("bash-completion/completions/vrm", "_vrm()"),
        ("zsh/vendor-completions/_vrm", "#compdef vrm"),
        ("fish/vendor_completions.d/vrm.fish", ""),
    ] {
        let text = std::fs::read_to_string(share.join(file)).unwrap();
        assert!(text.starts_with(first), "{file}: {text:.80}");
        assert!(
            text.contains("share") && !text.contains("generate-docs"),
            "{file}"
        );
    }
}
