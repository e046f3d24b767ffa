"""Catalog and subscriptions: products today; plans, lifecycle, renewals and dunning to come."""
