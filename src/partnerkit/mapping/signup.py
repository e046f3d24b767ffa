"""Where storage adapters import `SignupLink` from: the value lives with its flow, the sign-up
link channel, in `mapping.channels`; this module only keeps that import path working."""

from __future__ import annotations

from partnerkit.mapping.channels import SignupLink

__all__ = ["SignupLink"]
