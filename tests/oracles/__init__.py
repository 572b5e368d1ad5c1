"""Outside oracles for the tests: other people's implementations, behind small adapters."""
