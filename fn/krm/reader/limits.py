"""The input limits that keep hostile input from crashing, hanging or
exhausting the process. Documented in the README ("Limits"); each is tested
at its edge. Read at run time as `limits.NAME`, so a test can lower one.
"""

MAX_INPUT_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 500
# An alias may expand a document to at most this many nodes beyond its own,
# and to at most ALIAS_RATIO times its own size: generous for real anchors,
# fatal to "billion laughs".
MAX_ALIAS_EXPANSION = 100_000
ALIAS_RATIO = 10
# What the reader keeps of every item costs memory however small the item
# (about 0.5 KB for `- {}`) or its labels: without these, 512 MiB of tiny
# items or labels would take tens of GB. Both are far beyond real packages
# (a 1 KB manifest has ~16 metadata nodes), and keep the worst case below
# what the largest valid input takes anyway (about 6x MAX_INPUT_BYTES).
MAX_ITEMS = 1_000_000
MAX_METADATA_NODES = 10_000_000  # names, namespaces, labels, annotations, all items together

