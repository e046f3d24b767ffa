"""Subscriptions: plans, coupons, the lifecycle, renewals, dunning and pauses."""

__all__: list[str] = []
