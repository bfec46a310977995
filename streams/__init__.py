"""The stream processor: a faust-streaming worker, the single writer of entitlement state."""
