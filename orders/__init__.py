"""Orders: orders from every shop, their lines and addresses, the status workflow, holds and the audit trail."""
