"""Inventory: products, SKUs and sets, warehouses, stock levels with their ledger, and allocations."""
