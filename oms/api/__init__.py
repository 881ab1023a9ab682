"""The REST API under /api/v1/ for 3PL warehouses, CS agencies and the seller's own tools (DRF)."""
