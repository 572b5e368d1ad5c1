"""Which IPv4 addresses an IPv6 address reaches, decoded with Python's own
ipaddress (`ipv4_mapped`, `sixtofour`, `teredo`) and RFC 6052's layout,
apart from fn/addresses.py: the oracle of the address-form tests."""

import ipaddress

NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
COMPATIBLE = ipaddress.ip_network("::/96")


def reaches(ip):
    """The IPv4 addresses `ip` may reach: itself for IPv4, the embedded
    address for the mapped, 6to4, NAT64 and IPv4-compatible forms, "any"
    where the place of the IPv4 address is not fixed (local-use NAT64,
    Teredo), none for other IPv6 addresses."""
    if ip.version == 4:
        return [ip]
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in LOCAL_NAT64:
        return "any"
    if ip.teredo is not None:
        return "any"  # the client address is obfuscated, and anyone's
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip in NAT64 or ip in COMPATIBLE:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def forbidden(ip, deny):
    """Whether `ip` is in one of the `deny` CIDRs or reaches an IPv4 address that is."""
    networks = [ipaddress.ip_network(c) for c in deny]
    if any(ip.version == n.version and ip in n for n in networks):
        return True
    targets = reaches(ip)
    if targets == "any":
        return any(n.version == 4 for n in networks)
    return any(t in n for t in targets for n in networks if n.version == 4)
