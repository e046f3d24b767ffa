"""Gateways to the outside world that partnerkit ships: mailers today, payments later."""

__all__: list[str] = []
