//! `vrm generate-docs DIR`: man pages and shell completions, made from the
//! same clap definition the parser uses so they cannot drift from it.
//! Hidden: packaging (`make deb`) runs it, users never need to.
//!
//! DIR gets the layout Debian installs them in, under `usr/share/`:
//! `man/man1/vrm.1`, `vrm-brand.1`, `vrm-brand-add.1`… (uncompressed; the
//! packager gzips them), `bash-completion/completions/vrm`,
//! `zsh/vendor-completions/_vrm` and `fish/vendor_completions.d/vrm.fish`.

use std::fs;
use std::io;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;
use vrm_vault::vault::fs::{FileMode, OutFile, write_file};

/// What `--help` cannot show but a man page should: the exit statuses and
/// the environment (see `run` and the `--*-file` options).
const ROOT_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
success
.TP
\fB1\fR
an error (the message says which)
.TP
\fB2\fR
a usage error
.TP
\fB3\fR
a wrong passphrase, recovery code or backup key; nothing was changed
.SH ENVIRONMENT
.TP
\fBVRM_VAULT\fR
the vault folder, as \fB\-\-vault\fR
.TP
\fBVRM_PASSPHRASE\fR, \fBVRM_NEW_PASSPHRASE\fR, \fBVRM_RECOVERY_CODE\fR, \fBVRM_BACKUP_PASSPHRASE\fR
secrets for scripts, read when no \fB\-\-*\-file\fR option gives them; else \fBvrm\fR asks on the terminal
"#;

pub(super) fn generate(out: &Path) -> io::Result<()> {
    let share = out.join("usr/share");
    let man = share.join("man/man1");
    fs::create_dir_all(&man)?;
    // One page per (sub)command: vrm.1 lists the commands, vrm-share-create.1
    // has every option of one; hidden commands (this one) are left out.
    clap_mangen::generate_to(super::Cli::command(), &man)?;
    let root = man.join("vrm.1");
    let mut page = fs::read(&root)?;
    page.extend_from_slice(ROOT_EXTRA.as_bytes());
    write(&root, &page)?;

    // clap_complete offers hidden commands too: complete a copy without them.
    let full = super::Cli::command();
    let mut visible = clap::Command::new("vrm")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    for (shell, path) in [
        (Shell::Bash, "bash-completion/completions/vrm"),
        (Shell::Zsh, "zsh/vendor-completions/_vrm"),
        (Shell::Fish, "fish/vendor_completions.d/vrm.fish"),
    ] {
        let path = share.join(path);
        fs::create_dir_all(path.parent().expect("a file in a folder"))?;
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut visible, "vrm", &mut script);
        write(&path, &script)?;
    }
    Ok(())
}

/// A page or script, whole, with the usual permissions (they are installed
/// for everyone to read).
fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file(OutFile::replace(path), FileMode::Default, bytes).map_err(io::Error::other)
}
