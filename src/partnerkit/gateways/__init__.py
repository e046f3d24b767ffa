"""Gateways to the outside world that partnerkit ships: mailers today, payments later."""
