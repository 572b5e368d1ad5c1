"""Resource ids, as kustomize and `kubectl apply` tell objects apart.

An id is (API group, kind, namespace, name); the version does not count,
and no namespace is the `default` one. Two input objects with one id are
one object in the cluster, and the last applied wins.
"""

from . import results as R


def resources(items):
    """The resources the items stand for, in order: a `kind: List`'s items
    in place of the List, as `kubectl apply` and kustomize unwrap it."""
    for item in items:
        if item.children is not None:
            yield from resources(item.children)
        else:
            yield item


def resource_id(item):
    """The id of an item, or None for one without kind or name."""
    if not item.kind or not item.name:
        return None
    return (item.group, item.kind, item.namespace or "default", item.name)


def describe(rid):
    group, kind, namespace, name = rid
    return f"{kind}{'.' + group if group else ''} {namespace}/{name}"


def duplicates(items):
    """An error result for each item whose id an earlier item already has.
    Items kept out of deployment (local config) are not counted."""
    first: dict = {}
    out = []
    for index, item in enumerate(resources(items)):
        if not item.is_mapping or item.is_local_config():
            continue
        rid = resource_id(item)
        if rid is None:
            continue
        earlier = first.setdefault(rid, (index, item))
        if earlier[1] is item:
            continue
        where = f"line {earlier[1].line}" if earlier[1].line else f"item {earlier[0]}"
        out.append(R.Result(
            f"{describe(rid)} is in the input twice (first at {where}): applied, the last one wins and "
            "replaces the first, so what the function checked is not what the cluster runs. Keep one",
            R.ERROR, item.ref(), R.field("metadata.name", item.name), item.file()))
    return out
