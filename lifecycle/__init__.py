"""subscription-lifecycle: support entitlements kept right from purchase, registration, renewal and upgrade events."""
