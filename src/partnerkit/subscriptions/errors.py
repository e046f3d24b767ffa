"""Errors of subscriptions: the pure rules' (periods, coupons, proration, dunning, pausing) and
the lifecycle's (catalog, subscriptions, their moves). The codes are stable; the registry in
`partnerkit.errors` collects them for the reference."""

from __future__ import annotations

from partnerkit.errors import (
    Audience,
    ConflictError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
)

__all__ = [
    "AddonNotFoundError",
    "AddonTakenError",
    "BillingPeriodChangeError",
    "ChangeDayOutsideTermError",
    "CouponAmountNotPositiveError",
    "CouponArchivedError",
    "CouponCurrencyError",
    "CouponCyclesError",
    "CouponExpiredError",
    "CouponKindMismatchError",
    "CouponNotFoundError",
    "CouponPercentageError",
    "CouponTakenError",
    "CouponUsedUpError",
    "DayBeforeAnchorError",
    "DunningScheduleError",
    "InvalidSubscriptionTransitionError",
    "NoChangeError",
    "NoPaymentMethodError",
    "NoResumeDayError",
    "NoScheduledChangeError",
    "NoScheduledPauseError",
    "PauseInPastError",
    "PeriodAlreadyBilledError",
    "PeriodOutOfRangeError",
    "PlanCurrencyError",
    "PlanNotFoundError",
    "PlanTakenError",
    "ResumeNotAfterPauseError",
    "SubscriptionNotFoundError",
    "TrialNotExtendableError",
    "WrongProductError",
]

# --- rules ------------------------------------------------------------------------------------
# Raised by the pure rules (periods, coupons, proration, dunning, pausing).


class PeriodOutOfRangeError(ValidationError):
    code = "subscription.period_out_of_range"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "The billing period would end after the last day partnerkit handles."
    default_remedy = "Count fewer periods, or start the subscription on an earlier day."


class DayBeforeAnchorError(ValidationError):
    code = "subscription.day_before_anchor"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "The day is before the subscription's first billing period starts."
    default_remedy = "Choose a day on or after the start of the first billing period."


class CouponPercentageError(ValidationError):
    code = "subscription.coupon_percentage"
    audience = (Audience.STAFF,)
    summary = "A percentage discount is above 0 and at most 100, with at most two decimals."
    default_remedy = "Enter a percentage such as 10 or 12.5."


class CouponAmountNotPositiveError(ValidationError):
    code = "subscription.coupon_amount_not_positive"
    audience = (Audience.STAFF,)
    summary = "A fixed discount must be an amount above zero."
    default_remedy = "Enter the discount as an amount greater than zero."


class CouponKindMismatchError(ValidationError):
    code = "subscription.coupon_kind_mismatch"
    audience = (Audience.STAFF,)
    summary = (
        "A percentage coupon takes a percentage and no amount; a fixed coupon takes an amount "
        "and no percentage."
    )
    default_remedy = "Enter either a percentage or an amount, whichever the coupon's kind needs."


class CouponCyclesError(ValidationError):
    code = "subscription.coupon_cycles"
    audience = (Audience.STAFF,)
    summary = (
        "A coupon for a number of billing cycles needs that number, one or more; a coupon "
        "for once or for ever takes none."
    )
    default_remedy = "Enter how many billing cycles the coupon lasts, or choose once or forever."


class CouponCurrencyError(ValidationError):
    code = "subscription.coupon_currency"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The coupon's discount is in another currency than the subscription."
    default_remedy = "Choose a coupon in the subscription's currency, or a percentage coupon."


class CouponArchivedError(InvalidTransitionError):
    code = "subscription.coupon_archived"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The coupon was withdrawn and can no longer be applied."
    default_remedy = "Choose another coupon."


class CouponExpiredError(InvalidTransitionError):
    code = "subscription.coupon_expired"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The coupon's last day to apply it has passed."
    default_remedy = "Choose another coupon."


class CouponUsedUpError(InvalidTransitionError):
    code = "subscription.coupon_used_up"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The coupon was applied as many times as it may be."
    default_remedy = "Choose another coupon."


class ChangeDayOutsideTermError(ValidationError):
    code = "subscription.change_day_outside_term"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "A change is prorated over the current term only: the day is outside it."
    default_remedy = "Choose a day within the current billing term."


class DunningScheduleError(InvalidInputError):
    code = "subscription.dunning_schedule"
    audience = (Audience.DEVELOPER, Audience.STAFF)
    summary = (
        "Payment retries are a list of up to 10 days after the failed charge, each later "
        "than the one before, from 1 to 90."
    )
    default_remedy = "Give retry days such as 1, 3 and 7."
    default_hint = "DunningPolicy(retry_after_days=(1, 3, 7))"


class PauseInPastError(ValidationError):
    code = "subscription.pause_in_past"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "A pause cannot start on a day that has passed."
    default_remedy = "Choose today or a later day for the pause."


class ResumeNotAfterPauseError(ValidationError):
    code = "subscription.resume_not_after_pause"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The resume day must come after the day the pause starts."
    default_remedy = "Choose a resume day later than the pause day, or leave it empty."


class NoResumeDayError(ValidationError):
    code = "subscription.no_resume_day"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "The pause has no resume day, so there is no day for renewals to start again."
    default_remedy = "Resume the subscription now, or set a resume day."
    default_hint = "pass resumed_on= the day the subscription is resumed"


# --- lifecycle --------------------------------------------------------------------------------


class SubscriptionNotFoundError(NotFoundError):
    code = "subscription.not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such subscription."


class PlanNotFoundError(NotFoundError):
    code = "subscription.plan_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such plan."
    default_remedy = "Choose one of the plans of the product."


class AddonNotFoundError(NotFoundError):
    code = "subscription.addon_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such addon."
    default_remedy = "Choose one of the addons of the product."


class CouponNotFoundError(NotFoundError):
    code = "subscription.coupon_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such coupon."
    default_remedy = "Check the coupon's code."


class PlanTakenError(ConflictError):
    code = "subscription.plan_taken"
    audience = (Audience.STAFF,)
    summary = "A plan with that code exists already."
    default_remedy = "Choose another code for the plan."


class AddonTakenError(ConflictError):
    code = "subscription.addon_taken"
    audience = (Audience.STAFF,)
    summary = "An addon with that code exists already."
    default_remedy = "Choose another code for the addon."


class CouponTakenError(ConflictError):
    code = "subscription.coupon_taken"
    audience = (Audience.STAFF,)
    summary = "A coupon with that code exists already."
    default_remedy = "Choose another code for the coupon."


class WrongProductError(ValidationError):
    code = "subscription.wrong_product"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "That addon or coupon belongs to another product than the plan."
    default_remedy = "Choose an addon or a coupon of the subscription's own product."


class NoPaymentMethodError(ValidationError):
    code = "subscription.no_payment_method"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "Auto-charge needs a saved payment method."
    default_remedy = "Save a card for the account first, then turn auto-charge on."


class InvalidSubscriptionTransitionError(InvalidTransitionError):
    code = "subscription.invalid_transition"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The subscription's status does not allow this."


class TrialNotExtendableError(InvalidTransitionError):
    code = "subscription.trial_not_extendable"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = (
        "Only a trial that expired because it could not be charged can be extended, and only once."
    )


class PeriodAlreadyBilledError(ConflictError):
    code = "subscription.period_billed"
    audience = (Audience.STAFF,)
    summary = "That period of the subscription has been invoiced already."


# --- changes, pauses, reactivation ------------------------------------------------------------


class NoChangeError(ValidationError):
    code = "subscription.no_change"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The change keeps the plan, the addons and the coupons as they are."
    default_remedy = "Choose another plan, or other addons or coupons."


class PlanCurrencyError(ValidationError):
    code = "subscription.plan_currency"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The new plan is priced in another currency than the subscription."
    default_remedy = "Choose a plan in the subscription's currency."


class BillingPeriodChangeError(ValidationError):
    code = "subscription.billing_period_change"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = (
        "A plan with another billing period starts with a new term: it cannot replace the "
        "current plan in the middle of a term."
    )
    default_remedy = "Apply the change at the end of the current term."


class NoScheduledChangeError(InvalidTransitionError):
    code = "subscription.no_scheduled_change"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No change is scheduled for the end of the subscription's term."


class NoScheduledPauseError(InvalidTransitionError):
    code = "subscription.no_scheduled_pause"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No pause is scheduled for the subscription."
