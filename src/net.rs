//! Where the vault's own HTTP requests may go (intents to a brand's inbox,
//! one-click unsubscribes): one agent, no proxy from the environment, no
//! redirects, and no address on the person's own network unless they allow
//! it for that brand. A URL in a mail or an inbox a brand gave must not make
//! the vault post into the router's admin page or a printer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ureq::config::Config;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Whether `ip` is an address on the internet: not private, link-local,
/// shared (carrier NAT), unspecified, multicast, broadcast or reserved for
/// documentation. Loopback is not public either; see [`allowed`].
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 100.64.0.0/10, shared address space (carrier-grade NAT)
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24, IETF protocol assignments
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15, benchmarking; 240.0.0.0/4, reserved
        || (a == 198 && (18..20).contains(&b))
        || a >= 240
        || a == 0)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // fec0::/10, the old site-local
        || (first & 0xffc0) == 0xfec0
        // 2001:db8::/32, documentation
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// Whether the vault may connect to `ip`: a public address, this machine
/// (an intake the person runs here), or, when `allow_private`, any.
pub(crate) fn allowed(ip: IpAddr, allow_private: bool) -> bool {
    allow_private || ip.is_loopback() || is_public(ip)
}

/// The resolver the agent uses: the default one, then the rule, so the
/// addresses checked are the ones connected to (no second lookup that a
/// name's owner could answer differently).
#[derive(Debug)]
struct CheckedResolver {
    inner: DefaultResolver,
    allow_private: bool,
}

impl Resolver for CheckedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Some(bad) = addrs.iter().find(|a| !allowed(a.ip(), self.allow_private)) {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} is an address on a private or local network ({}); it is reached \
                     only for a brand you allow private addresses for",
                    uri.host().unwrap_or("the host"),
                    bad.ip()
                ),
            )));
        }
        Ok(addrs)
    }
}

/// How long connecting may take, within a request's whole time: an address
/// that never answers (a firewall dropping packets) fails in this long,
/// not after the whole request's time (five minutes for a sync object).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An agent for one kind of request: `timeout` overall (connecting within
/// [`CONNECT_TIMEOUT`]), statuses as answers (not errors), no redirects, no
/// proxy from the environment, and only the addresses [`allowed`] lets
/// through.
pub(crate) fn agent(timeout: Duration, allow_private: bool) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
        .http_status_as_error(false)
        .max_redirects(0)
        // Never a proxy from the environment, silently: the request goes
        // where the URL says, or nowhere.
        .proxy(None)
        .build();
    ureq::Agent::with_parts(
        config,
        DefaultConnector::new(),
        CheckedResolver {
            inner: DefaultResolver::default(),
            allow_private,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connecting_has_a_limit_of_its_own_within_the_whole() {
        let long = agent(Duration::from_secs(300), true);
        assert_eq!(long.config().timeouts().connect, Some(CONNECT_TIMEOUT));
        assert_eq!(
            long.config().timeouts().global,
            Some(Duration::from_secs(300))
        );
        let short = agent(Duration::from_secs(3), true);
        assert_eq!(
            short.config().timeouts().connect,
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn private_local_and_reserved_addresses_are_not_public() {
        for ip in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.7",
            "198.18.0.1",
            "240.0.0.1",
            "127.0.0.1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "::",
            "::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:192.168.1.1",
            "::ffff:169.254.169.254",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip}");
            assert!(!allowed(ip, false) || ip.is_loopback(), "{ip}");
            assert!(allowed(ip, true), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip}");
            assert!(allowed(ip, false), "{ip}");
        }
        assert!(allowed("127.0.0.1".parse().unwrap(), false));
        assert!(allowed("::1".parse().unwrap(), false));
    }
}
