"""The `firstline` command: run the product, train what is stale, manage staff, evaluate."""
