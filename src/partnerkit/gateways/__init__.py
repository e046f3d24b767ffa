"""Gateways to the outside world that partnerkit ships: mailers, and a payment gateway for tests."""

__all__: list[str] = []
