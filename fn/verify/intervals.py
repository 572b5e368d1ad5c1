"""Sets of IP addresses as sorted, disjoint intervals, per address family.

A set is a dict {4: [(low, high), ...], 6: [...]} of inclusive integer
bounds. The witness search subtracts what is permitted from what a peer
allows and takes an address from what is left, in time linear in the
number of networks involved."""

import ipaddress

EVERYTHING = {4: [(0, 2 ** 32 - 1)], 6: [(0, 2 ** 128 - 1)]}
_TYPES = {4: ipaddress.IPv4Address, 6: ipaddress.IPv6Address}


def of_blocks(blocks):
    """The addresses of netpol Blocks (a network minus its excepts)."""
    out: dict = {4: [], 6: []}
    for block in blocks or ():
        network = block.network
        spans = [(int(network.network_address), int(network.broadcast_address))]
        excepts = _merge([(int(e.network_address), int(e.broadcast_address)) for e in block.excepts
                          if e.version == network.version])
        out[network.version] += _minus(spans, excepts)
    return {version: _merge(spans) for version, spans in out.items()}


def union(sets):
    return {version: _merge([span for s in sets for span in s[version]]) for version in (4, 6)}


def subtract(a, b):
    return {version: _minus(a[version], b[version]) for version in (4, 6)}


def contains(spans, ip):
    value = int(ip)
    return any(low <= value <= high for low, high in spans[ip.version])


def lowest(spans):
    """The lowest address of the set, IPv4 before IPv6; None when empty."""
    for version in (4, 6):
        if spans[version]:
            return _TYPES[version](spans[version][0][0])
    return None


def _merge(spans):
    out: list = []
    for low, high in sorted(spans):
        if out and low <= out[-1][1] + 1:
            if high > out[-1][1]:
                out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return out


def _minus(spans, removed):
    """Sorted disjoint spans minus sorted disjoint spans."""
    out: list = []
    j = 0
    for start, high in spans:
        low = start
        while j < len(removed) and removed[j][1] < low:
            j += 1
        k = j
        while k < len(removed) and removed[k][0] <= high:
            if removed[k][0] > low:
                out.append((low, removed[k][0] - 1))
            low = max(low, removed[k][1] + 1)
            if low > high:
                break
            k += 1
        if low <= high:
            out.append((low, high))
    return out
