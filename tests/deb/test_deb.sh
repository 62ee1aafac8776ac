#!/usr/bin/env bash
# The .deb that `make deb` built, as a user gets it: unpacked into a scratch
# root (dpkg-deb -x: no root rights, nothing installed on this machine), then
# both programs run from there, and the package's metadata, man pages,
# completions and desktop entry are what Debian tools expect.
# Usage: tests/deb/test_deb.sh [PACKAGE.deb]  (default: the one make deb built)
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}
deb=${1:-$target/release/bundle/deb/vrm-vault_0.1.0_amd64.deb}
[ -f "$deb" ] || { echo "test-deb: no $deb; run make deb first" >&2; exit 1; }

scratch=$(mktemp -d)
app_pid=
cleanup() {
    [ -z "$app_pid" ] || kill -- -"$app_pid" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT
root=$scratch/root
dpkg-deb -x "$deb" "$root"

failures=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}

# --- control fields
field() { dpkg-deb -f "$deb" "$1"; }
version=$(field Version)
check "Package is vrm-vault" test "$(field Package)" = vrm-vault
check "Maintainer has a name and an address: $(field Maintainer)" \
    grep -Eq '^[^<]+ <[^@ ]+@[^@ ]+\.[a-z]+>$' <<<"$(field Maintainer)"
description=$(field Description)
check "Description has an extended part" \
    test "$(wc -l <<<"$description")" -ge 3 -a "$(grep -c '(none)' <<<"$description")" -eq 0
check "Depends names WebKitGTK" grep -q libwebkit2gtk-4.1-0 <<<"$(field Depends)"
check "Section and Priority are set" test -n "$(field Section)" -a -n "$(field Priority)"

# --- the command line
vrm=$root/usr/bin/vrm
check "usr/bin/vrm is executable" test -x "$vrm"
check "vrm --version is the package's version ($version)" \
    test "$("$vrm" --version)" = "vrm $version"
check "vrm --help shows the usage" grep -q '^Usage: vrm' <<<"$("$vrm" --help)"
# Not only --help: a vault made and read back by the installed binary.
export VRM_VAULT=$scratch/vault VRM_PASSPHRASE="correct horse battery staple"
check "vrm init makes a vault" "$vrm" init
check "vrm status reads it back" grep -q '"records"' <<<"$("$vrm" status --json)"
unset VRM_VAULT VRM_PASSPHRASE

# --- man pages (gzipped, one per command) and completions
man1=$root/usr/share/man/man1
check "vrm.1.gz is the vrm page" grep -q '^\.TH vrm 1' <<<"$(zcat "$man1/vrm.1.gz")"
check "man renders it" grep -q 'EXIT STATUS' <<<"$(MANWIDTH=80 man -l "$man1/vrm.1.gz" 2>/dev/null)"
check "a page per subcommand (vrm-share-create.1.gz)" test -f "$man1/vrm-share-create.1.gz"
check "no page for the hidden generate-docs" test ! -e "$man1/vrm-generate-docs.1.gz"
check "man pages are gzipped only" test -z "$(find "$man1" -type f ! -name '*.1.gz')"
bash_comp=$root/usr/share/bash-completion/completions/vrm
check "bash completion registers vrm" \
    bash -c 'source "$1" && complete -p vrm' _ "$bash_comp"
check "zsh completion is a #compdef vrm" grep -q '^#compdef vrm' "$root/usr/share/zsh/vendor-completions/_vrm"
check "fish completion completes vrm" grep -q '^complete -c vrm' "$root/usr/share/fish/vendor_completions.d/vrm.fish"
check "no completion offers the hidden generate-docs" \
    bash -c '! grep -rq generate-docs "$1"/bash-completion "$1"/zsh "$1"/fish' _ "$root/usr/share"

# --- Debian policy
check "a machine-readable copyright file" \
    grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format' "$root/usr/share/doc/vrm-vault/copyright"
for bin in "$root"/usr/bin/*; do
    check "$(basename "$bin") is stripped" bash -c 'file "$1" | grep -q ", stripped"' _ "$bin"
done

# --- the desktop app
app=$root/usr/bin/vrm-vault-app
check "usr/bin/vrm-vault-app is executable" test -x "$app"
check "ldd resolves every library of the app" \
    bash -c '! ldd "$1" | grep -q "not found"' _ "$app"
apps=$root/usr/share/applications
desktop=$apps/org.vrmvault.Vault.desktop
check "the desktop entry is named after the app id" test -f "$desktop"
check "it is the only desktop entry" test "$(find "$apps" -name '*.desktop' | wc -l)" -eq 1
exec_bin=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop" 2>/dev/null)
check "its Exec ($exec_bin) is the installed app" test "$exec_bin" = vrm-vault-app -a -x "$root/usr/bin/$exec_bin"
icon=$(sed -n 's/^Icon=//p' "$desktop" 2>/dev/null)
check "its Icon ($icon) is installed" test -n "$icon" -a -f "$root/usr/share/icons/hicolor/128x128/apps/$icon.png"
if command -v desktop-file-validate >/dev/null 2>&1; then
    check "desktop-file-validate accepts it" desktop-file-validate "$desktop"
fi

# The app starts from the unpacked tree and stays up (under Xvfb, on a
# scratch home so it touches no real vault or settings).
if command -v xvfb-run >/dev/null 2>&1; then
    mkdir -p "$scratch/home"
    HOME=$scratch/home XDG_CONFIG_HOME=$scratch/home/.config XDG_DATA_HOME=$scratch/home/.local/share \
        XDG_CACHE_HOME=$scratch/home/.cache VRM_VAULT=$scratch/app-vault \
        setsid xvfb-run -a "$app" >"$scratch/app.log" 2>&1 &
    app_pid=$!
    sleep 4
    if kill -0 "$app_pid" 2>/dev/null; then
        ok "the app starts and stays up under Xvfb"
        # setsid made xvfb-run a group leader: end it, Xvfb and the app.
        kill -- -"$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    else
        bad "the app starts and stays up under Xvfb (log: $(tr '\n' ' ' <"$scratch/app.log"))"
    fi
    app_pid=
else
    echo "skip the app under Xvfb: no xvfb-run"
fi

if ((failures)); then
    echo "test-deb: $failures check(s) failed for $deb" >&2
    exit 1
fi
echo "test-deb: $deb is fine"
