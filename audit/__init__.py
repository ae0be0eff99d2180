"""The append-only, hash-chained audit trail that every app writes to."""
