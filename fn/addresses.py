"""IP networks as the cluster reads them, and the IPv6 forms of IPv4.

`parse_network` reads a CIDR as the API server does (Go's sloppy parser:
leading zeros are decimal, host bits are dropped) and says when the text
is not the canonical form. `wire_address` is the address a packet carries
(an IPv4-mapped address goes out as IPv4). `forbidden_networks` turns a
deny list into every network that reaches it: the IPv4 ranges, the IPv6
ones, and the IPv6 forms that translate to a denied IPv4 address.
Pure functions over `ipaddress` values.
"""

import functools
import ipaddress

from . import conventions as C

MAPPED = ipaddress.ip_network(C.IPV4_MAPPED)
EMBEDDINGS = tuple((ipaddress.IPv6Network(prefix), offset) for prefix, offset in C.IPV4_EMBEDDINGS)
UNPLACED = tuple(ipaddress.IPv6Network(prefix) for prefix in C.IPV4_UNPLACED_EMBEDDINGS)
EVERYWHERE = (ipaddress.IPv4Network("0.0.0.0/0"), ipaddress.IPv6Network("::/0"))



def parse_network(text):
    """(network, note) for a CIDR string; (None, None) when it is not one.

    Accepted as the API server accepts it: IPv4 octets and the prefix
    length with leading zeros (read as decimal), bits set past the prefix.
    `note` says why the text is not canonical (None when it is); under
    StrictIPCIDRValidation the API server rejects such a value, and other
    readers (CNIs) may take it differently."""
    if not isinstance(text, str):
        return None, None
    return _parse_network(text)


@functools.lru_cache(maxsize=4096)
def _parse_network(text):
    if text.count("/") != 1:
        return None, None
    address, prefix = text.strip().split("/")
    if not _digits(prefix) or len(prefix) > 4:
        return None, None
    canonical = _sloppy_address(address)
    if canonical is None:
        return None, None
    try:
        network = ipaddress.ip_network(f"{canonical}/{int(prefix)}", strict=False)
    except ValueError:
        return None, None
    leading_zeros = canonical != address or prefix != str(int(prefix))
    host_bits = ipaddress.ip_address(canonical) != network.network_address
    return network, _note(text.strip(), network, leading_zeros or host_bits)


def _digits(text):
    """Whether the text is ASCII digits only (not `str.isdigit`'s `²`; no
    regular expression to compile at every start)."""
    return text.isascii() and text.isdigit()


def _sloppy_address(text):
    """The address with leading zeros dropped from its dotted-quad part."""
    head, sep, quad = text.rpartition(":") if ":" in text else ("", "", text)
    if "." not in quad:
        return text if sep else None
    octets = quad.split(".")
    if len(octets) != 4 or not all(_digits(o) and len(o) <= 3 for o in octets):
        return None
    return head + sep + ".".join(str(int(o)) for o in octets)


def _note(text, network, sloppy):
    if is_mapped(network):
        return (f"{text} is an IPv4-mapped IPv6 network: IPv4 traffic is never IPv6 on the wire, so CNIs read it "
                f"differently (Go-based ones as {mapped_to_ipv4(network)}), and the API server rejects it under "
                "StrictIPCIDRValidation; write the IPv4 form")
    if sloppy:
        return (f"{text} is not in canonical form ({network}): the API server reads it as {network} today and "
                "rejects it under StrictIPCIDRValidation")
    return None


def is_mapped(network):
    return network.version == 6 and network.prefixlen >= MAPPED.prefixlen and network.subnet_of(MAPPED)


def mapped_to_ipv4(network):
    """The IPv4 network an IPv4-mapped IPv6 network stands for."""
    return ipaddress.IPv4Network((int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96))


def wire_address(ip):
    """The address a packet to `ip` carries: a connect() to an IPv4-mapped
    address is sent as IPv4 by the kernel."""
    if ip is not None and ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def embedded(prefix, offset, network):
    """The image of IPv4 `network` inside the IPv6 `prefix` that carries an
    IPv4 address at bit `offset`."""
    shift = 128 - offset - 32
    return ipaddress.IPv6Network((int(prefix.network_address) | (int(network.network_address) << shift),
                                  offset + network.prefixlen))


def embedding_of(network):
    """(prefix, offset) of the translated form `network` lies in, or None.
    Only whole-address forms: a network inside the unplaced ranges is
    reported by `is_unplaced`."""
    if network.version != 6:
        return None
    for prefix, offset in EMBEDDINGS:
        if network.subnet_of(prefix):
            return prefix, offset
    return None


def is_unplaced(network):
    return network.version == 6 and any(network.subnet_of(u) for u in UNPLACED)


def forbidden_networks(networks):
    """Every network that reaches one of `networks`: the networks, their
    images in each translated IPv6 form, and the unplaced forms whole when
    any IPv4 network is given. Sorted IPv4 first, without repeats."""
    v4 = [n for n in networks if n.version == 4]
    out = list(networks)
    for prefix, offset in EMBEDDINGS:
        out += [embedded(prefix, offset, n) for n in v4]
    if v4:
        out += UNPLACED
    return sorted(set(out), key=lambda n: (n.version, n.network_address, n.prefixlen))


def maximal(networks):
    """The networks not inside another one of the list, in their order."""
    unique = list(dict.fromkeys(networks))
    return [n for n in unique
            if not any(o != n and o.version == n.version and n.subnet_of(o) for o in unique)]
