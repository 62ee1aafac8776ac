//! `vrm`: the VRM Vault command line. A thin shell: parse, call the core, print.

#![forbid(unsafe_code)]

mod cli;

fn main() {
    std::process::exit(cli::run());
}
