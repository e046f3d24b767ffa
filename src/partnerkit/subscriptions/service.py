"""`kit.subscriptions`: the catalog of plans, addons and coupons, subscriptions and their
lifecycle, and the due job that starts them, ends trials, renews, charges and retries.

Every invoice goes through billing (`create_invoice(..., subscription_id=...)`) in the
transaction that records its period, whose unique key makes "one invoice per subscription and
period" the database's decision. A charge goes through billing's online payment outside any
transaction, under an idempotency key derived from the subscription and the period, so a
retried run never charges twice.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.billing.errors import (
    InvalidInvoiceTransitionError,
    PaymentMethodNotFoundError,
    not_found,
)
from partnerkit.billing.invoices import OUTSTANDING, Invoice, InvoiceLine, InvoiceStatus, TaxRate
from partnerkit.billing.payments import PaymentStatus
from partnerkit.billing.service import BillingService
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.clock import local_day
from partnerkit.customers.accounts import CustomersService, customer_zone
from partnerkit.customers.plans import Edition
from partnerkit.errors import FloatAmountError, InvalidInputError, PartnerkitError
from partnerkit.money import Money
from partnerkit.runtime import Runtime
from partnerkit.subscriptions.catalog import Addon, AddonKind, Plan
from partnerkit.subscriptions.changes import (
    ChangePreview,
    coupons_on,
    proration_of,
    recurring_lines,
    remaining_charge,
    unused_credit,
)
from partnerkit.subscriptions.charges import ChargesSummary, summary, term_lines
from partnerkit.subscriptions.coupons import Coupon, decide_redemption
from partnerkit.subscriptions.dunning import FinalAction, next_attempt
from partnerkit.subscriptions.errors import (
    AddonNotFoundError,
    BillingPeriodChangeError,
    CouponNotFoundError,
    NoChangeError,
    NoPaymentMethodError,
    NoScheduledChangeError,
    NoScheduledPauseError,
    PlanCurrencyError,
    PlanNotFoundError,
    ResumeNotAfterPauseError,
    SubscriptionNotFoundError,
    TrialChargePendingError,
    TrialNotExtendableError,
    WrongProductError,
)
from partnerkit.subscriptions.events import (
    SubscriptionChanged,
    SubscriptionCreated,
    SubscriptionInvoiced,
)
from partnerkit.subscriptions.lifecycle import (
    SubscriptionAction,
    SubscriptionStatus,
    allowed_actions,
    transition,
)
from partnerkit.subscriptions.pausing import PauseSchedule
from partnerkit.subscriptions.periods import BillingPeriod, IntervalUnit, Term, term
from partnerkit.subscriptions.policy import SubscriptionPolicy
from partnerkit.subscriptions.ports import BilledPeriod, SubscriptionsStore
from partnerkit.subscriptions.subscription import (
    Subscription,
    SubscriptionAddon,
    SubscriptionCoupon,
)

__all__ = ["UNKNOWN_CHARGE_RETRY", "SubscriptionsService"]

#: Who acts when the clock does: starts, trial ends, renewals and retries.
SYSTEM = Principal.system("subscriptions")

#: How long a charge the gateway has not answered waits before it is asked about again (the
#: same key: billing returns what became of the first attempt, it never charges twice).
UNKNOWN_CHARGE_RETRY = timedelta(hours=1)

_S, _A = SubscriptionStatus, SubscriptionAction

#: Statuses in which the customer pays for the product: its plan is "paid" while one is.
_PAYING = frozenset({_S.LIVE, _S.NON_RENEWING, _S.DUNNING, _S.PAUSED})


def _money(value: object, field: str, *, zero: bool = False) -> Money:
    if isinstance(value, float):
        raise FloatAmountError(field=field, details={"value": repr(value)})
    if not isinstance(value, Money):
        raise InvalidInputError(
            f"The {field.replace('_', ' ')} must be an amount of money.",
            field=field,
            hint=f"{field} takes a Money, such as Money.of('29.00', 'USD')",
        )
    if value.is_negative or (not zero and not value.is_positive):
        raise InvalidInputError(
            f"The {field.replace('_', ' ')} must be "
            + ("zero or more." if zero else "above zero."),
            field=field,
        )
    return value


def _period(value: object, field: str) -> BillingPeriod:
    if not isinstance(value, BillingPeriod):
        raise InvalidInputError(
            f"The {field} must be a billing period, such as one month.",
            field=field,
            hint=f"{field} takes a BillingPeriod(IntervalUnit.MONTH, 1)",
        )
    return value


def _trial(value: object) -> BillingPeriod | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value == 0:
            return None
        return BillingPeriod(IntervalUnit.DAY, value)
    return _period(value, "trial")


def _codes(values: object, field: str) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInputError(
            f"Name the {field} as a list.", field=field, hint=f"{field} takes a list of codes"
        )
    found = tuple(validate.text(v, f"{field}[{i}]", max_length=50) for i, v in enumerate(values))
    if len(found) > 50:
        raise InvalidInputError(f"At most 50 {field}.", field=field)
    return tuple(dict.fromkeys(found))


def _addons(values: object) -> tuple[SubscriptionAddon, ...]:
    """Addons as codes, or as (code, quantity) pairs, or as a mapping of code to quantity."""
    if isinstance(values, dict):
        values = list(values.items())
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInputError(
            "Name the addons as a list.",
            field="addons",
            hint="addons takes codes, (code, quantity) pairs or {code: quantity}",
        )
    found: dict[str, int] = {}
    for i, item in enumerate(values):
        code, quantity = (item, 1) if isinstance(item, str) else (item, None)
        if quantity is None:
            if not isinstance(item, tuple) or len(item) != 2:
                raise InvalidInputError(
                    "Each addon is a code, or a code and a quantity.", field=f"addons[{i}]"
                )
            code, quantity = item
        key = validate.key(code, f"addons[{i}]")
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= 10**6
        ):
            raise InvalidInputError(
                "An addon's quantity is a whole number from 1 to 1000000.",
                field=f"addons[{i}]",
            )
        found[key] = found.get(key, 0) + quantity
    if len(found) > 50:
        raise InvalidInputError("At most 50 addons.", field="addons")
    return tuple(SubscriptionAddon(k, q) for k, q in found.items())


def _edits(
    addons: object, coupons: object
) -> tuple[tuple[SubscriptionAddon, ...] | None, tuple[str, ...] | None]:
    """An edit's addons and coupon codes, checked; None for "keep them"."""
    return (
        None if addons is None else _addons(addons),
        None if coupons is None else _codes(coupons, "coupons"),
    )


@attrs.frozen
class _Charge:
    """A charge the run or an action owes the gateway, made after its transaction commits."""

    subscription_id: str
    customer_id: str
    invoice_id: str
    method_id: str
    key: str
    attempt: int
    #: Everything the charge collects: `invoice_id`, and in dunning the renewals since.
    invoice_ids: tuple[str, ...] = ()


@attrs.frozen
class _Carried:
    """A credit a new term's invoice carries: the unused days of the term it replaces, billed
    once already (a reactivation within a cancelled term)."""

    amount: Money
    reason: str
    #: The replaced term's invoice: credited first while it is still open.
    replaced: Invoice | None


@attrs.frozen
class _Target:
    """What an edit asks for, checked: the plan, addons and coupons after it."""

    plan: Plan
    addons: tuple[SubscriptionAddon, ...]
    coupons: tuple[SubscriptionCoupon, ...]
    #: The coupons it adds (counted against their limits).
    added: tuple[str, ...]
    #: The addons it adds (billed whole when one-time).
    once: tuple[str, ...]
    changed: bool


@attrs.define
class _Catalog:
    """What one renewal batch reads once in its unit of work and bills every subscription
    from: plans, addons and coupons (never edited once added, so a value read stays true) and
    the default tax. What the batch did not read up front is read on first use and kept."""

    uow: SubscriptionsStore
    tax: TaxRate | None
    plans: dict[str, Plan]
    addons: dict[str, Addon | None]
    coupons: dict[str, Coupon | None]
    #: Terms by anchor, period and index: a batch's subscriptions mostly share them.
    terms: dict[tuple[date, IntervalUnit, int, int], Term] = attrs.field(factory=dict)

    def term(self, anchor: date, plan: Plan, index: int) -> Term:
        key = (anchor, plan.period_unit, plan.period_count, index)
        found = self.terms.get(key)
        if found is None:
            found = self.terms[key] = term(anchor, plan.period, index)
        return found

    def addon(self, addon_id: str) -> Addon | None:
        if addon_id not in self.addons:
            self.addons[addon_id] = self.uow.addons.get(addon_id)
        return self.addons[addon_id]

    def coupon(self, coupon_id: str) -> Coupon | None:
        if coupon_id not in self.coupons:
            self.coupons[coupon_id] = self.uow.coupons.get(coupon_id)
        return self.coupons[coupon_id]


def _every(plan: Plan) -> str:
    count, unit = plan.period_count, plan.period_unit.value
    return unit if count == 1 else f"{count} {unit}s"


class SubscriptionsService:
    """`kit.subscriptions`: plans, addons and coupons; subscriptions and their lifecycle.

    Staff (and the system) keep the catalog and create subscriptions; a customer's own users,
    staff and the system act on the customer's subscriptions (convert or cancel a trial,
    schedule or remove a cancellation, extend an expired trial, turn auto-charge on or off).
    Whether a customer's user may take an action is the caller's to say (`customer_allowed`),
    so a portal can put its preferences in front. Another organisation's subscription answers
    exactly like a missing one.
    """

    def __init__(
        self,
        runtime: Runtime[SubscriptionsStore],
        policy: SubscriptionPolicy,
        *,
        billing: BillingService,
        customers: CustomersService,
    ) -> None:
        self._rt = runtime
        self._policy = policy
        self._billing = billing
        self._customers = customers
        # The renewal batch open in this thread/task (run_due), whose catalog its bills read.
        self._batch: contextvars.ContextVar[_Catalog | None] = contextvars.ContextVar(
            f"partnerkit_renewal_batch_{id(self)}", default=None
        )

    # --- the catalog --------------------------------------------------------------------------

    def add_plan(
        self,
        code: str,
        *,
        product: str,
        name: str,
        price: Money,
        period: BillingPeriod,
        trial: BillingPeriod | int | None = None,
        setup_fee: Money | None = None,
        actor: Principal,
    ) -> Plan:
        """Add a plan to a product: its price per billing period, a trial, a setup fee.

        Args:
            code: The plan's code, unique (a key: lower-case letters, digits, `-` and `_`).
            product: The catalog key of the product.
            name: Its name as customers read it.
            price: The price of one billing period, above zero.
            period: The billing period, such as `BillingPeriod(IntervalUnit.MONTH, 1)`.
            trial: The trial period: a `BillingPeriod`, or a number of days; None for none.
            setup_fee: Charged once, on the first invoice; None for none.
            actor: Who acts: staff or the system.

        Returns:
            The plan.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            ProductNotFoundError: No such product (`catalog.product_not_found`).
            PlanTakenError: A plan has that code (`subscription.plan_taken`).
            InvalidInputError: A value is missing or malformed, or the setup fee is in another
                currency than the price (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        plan_id = validate.key(code, "code")
        key = validate.key(product, "product")
        text = validate.text(name, "name")
        money = _money(price, "price")
        every = _period(period, "period")
        trial_period = _trial(trial)
        fee = (
            Money.zero(money.currency)
            if setup_fee is None
            else _money(setup_fee, "setup_fee", zero=True)
        )
        if fee.currency != money.currency:
            raise InvalidInputError(
                "The setup fee must be in the plan's currency.", field="setup_fee"
            )
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "add a plan")
            self._product(uow, key)
            plan = Plan(
                id=plan_id,
                product=key,
                name=text,
                price=money,
                period_unit=every.unit,
                period_count=every.count,
                setup_fee=fee,
                created_at=self._rt.now(),
                trial_unit=None if trial_period is None else trial_period.unit,
                trial_count=0 if trial_period is None else trial_period.count,
            )
            uow.plans.add(plan)
        return plan

    def plans(self, product: str) -> list[Plan]:
        """The product's plans, by code: the catalog is public.

        Args:
            product: The catalog key of the product.

        Returns:
            The plans.

        Raises:
            InvalidInputError: The key is malformed (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        key = validate.key(product, "product")
        with self._rt.uow(readonly=True) as uow:
            return uow.plans.for_product(key)

    def get_plan(self, code: str) -> Plan:
        """A plan, by its code.

        Args:
            code: The plan's code.

        Returns:
            The plan.

        Raises:
            PlanNotFoundError: No such plan (`subscription.plan_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            return self._plan(uow, code)

    def add_addon(
        self,
        code: str,
        *,
        product: str,
        name: str,
        price: Money,
        kind: AddonKind | str = AddonKind.RECURRING,
        actor: Principal,
    ) -> Addon:
        """Add an addon to a product: recurring (billed every term) or one-time.

        Args:
            code: The addon's code, unique.
            product: The catalog key of the product.
            name: Its name as customers read it.
            price: The price of one, above zero.
            kind: `AddonKind.RECURRING` or `AddonKind.ONE_TIME`.
            actor: Who acts: staff or the system.

        Returns:
            The addon.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            ProductNotFoundError: No such product (`catalog.product_not_found`).
            AddonTakenError: An addon has that code (`subscription.addon_taken`).
            InvalidInputError: A value is missing or malformed (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        addon_id = validate.key(code, "code")
        key = validate.key(product, "product")
        text = validate.text(name, "name")
        money = _money(price, "price")
        try:
            billed = AddonKind(kind)
        except ValueError:
            raise InvalidInputError(
                "An addon is recurring or one-time.",
                field="kind",
                hint="kind takes AddonKind.RECURRING or AddonKind.ONE_TIME",
            ) from None
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "add an addon")
            self._product(uow, key)
            addon = Addon(addon_id, key, text, money, billed, self._rt.now())
            uow.addons.add(addon)
        return addon

    def addons(self, product: str) -> list[Addon]:
        """The product's addons, by code: the catalog is public.

        Args:
            product: The catalog key of the product.

        Returns:
            The addons.

        Raises:
            InvalidInputError: The key is malformed (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        key = validate.key(product, "product")
        with self._rt.uow(readonly=True) as uow:
            return uow.addons.for_product(key)

    def add_coupon(self, coupon: Coupon, *, product: str, actor: Principal) -> Coupon:
        """Store a coupon (`Coupon.create(...)`) for a product: only subscriptions to the
        product's plans may apply it.

        Args:
            coupon: The coupon.
            product: The catalog key of the product.
            actor: Who acts: staff or the system.

        Returns:
            The coupon as stored.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            ProductNotFoundError: No such product (`catalog.product_not_found`).
            CouponTakenError: A coupon has that code (`subscription.coupon_taken`).
            InvalidInputError: Not a coupon (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        if not isinstance(coupon, Coupon):
            raise InvalidInputError(
                "That is not a coupon.",
                field="coupon",
                hint="build one with Coupon.create(...)",
            )
        key = validate.key(product, "product")
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "add a coupon")
            self._product(uow, key)
            uow.coupons.add(coupon, product=key)
        return coupon

    def coupons(self, product: str, *, actor: Principal) -> list[Coupon]:
        """The product's coupons, by code.

        Args:
            product: The catalog key of the product.
            actor: Who asks: staff or the system.

        Returns:
            The coupons.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvalidInputError: The key is malformed (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        key = validate.key(product, "product")
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "read the coupons")
            return uow.coupons.for_product(key)

    # --- look-ups -----------------------------------------------------------------------------

    @staticmethod
    def _product(uow: SubscriptionsStore, key: str) -> None:
        if uow.products.get(key) is None:
            raise ProductNotFoundError(
                f"no product with key {key!r}", details={"field": "product", "key": key}
            )

    @staticmethod
    def _plan(uow: SubscriptionsStore, code: object) -> Plan:
        found = uow.plans.get(code) if validate.is_ref(code, max_length=40) else None  # type: ignore[arg-type]
        if found is None:
            shown = (code if isinstance(code, str) else repr(code))[:100]
            raise PlanNotFoundError(f"no plan {shown!r}", details={"plan": shown})
        return found

    @staticmethod
    def _missing(subscription_id: object) -> Callable[[], PartnerkitError]:
        shown = (subscription_id if isinstance(subscription_id, str) else repr(subscription_id))[
            :100
        ]
        return lambda: SubscriptionNotFoundError(
            f"no subscription {shown!r}", details={"subscription_id": shown}
        )

    def _subscription(
        self,
        uow: SubscriptionsStore,
        actor: object,
        subscription_id: object,
        *,
        for_update: bool = False,
        customer_allowed: bool = True,
    ) -> Subscription:
        """The subscription, for its customer's own users, staff and the system: a malformed
        id, a missing one and another customer's answer alike."""
        missing = self._missing(subscription_id)
        if not validate.is_ref(subscription_id):
            raise missing()
        assert isinstance(subscription_id, str)
        found = uow.subscriptions.get(subscription_id, for_update=for_update)
        if found is None:
            raise missing()
        principal = self._rt.guard.require_own_account(actor, found.customer_id, missing)
        if not customer_allowed and not principal.is_staff_or_system:
            self._rt.guard.require_staff(actor, "change this subscription")
        return found

    def _catalog(self, uow: SubscriptionsStore) -> _Catalog | None:
        """The renewal batch's catalog when `uow` is that batch's unit of work."""
        batch = self._batch.get()
        return batch if batch is not None and batch.uow is uow else None

    def _default_tax(self, uow: SubscriptionsStore) -> TaxRate | None:
        batch = self._catalog(uow)
        return uow.tax_rates.default() if batch is None else batch.tax

    def _lines_for(
        self,
        uow: SubscriptionsStore,
        subscription: Subscription,
        plan: Plan,
        period: Term,
        *,
        first: bool,
        once: Sequence[str] = (),
    ) -> tuple[InvoiceLine, ...]:
        """The invoice lines of `period`, the subscription's next billed term; `once` names
        one-time addons an edit adds, billed on this invoice although it is not the first."""
        return self._lines_taxed(
            uow, subscription, plan, period, self._default_tax(uow), first=first, once=once
        )

    def _lines_taxed(
        self,
        uow: SubscriptionsStore,
        subscription: Subscription,
        plan: Plan,
        period: Term,
        tax: TaxRate | None,
        *,
        first: bool,
        once: Sequence[str] = (),
    ) -> tuple[InvoiceLine, ...]:
        """`_lines_for` with the default tax read already."""
        coupons = coupons_on(
            self._coupon_items(uow, subscription.coupons), subscription.cycles_billed + 1
        )
        # Every coupon given applies: each is on its first cycle as term_lines counts them.
        lines = term_lines(
            plan,
            self._addon_items(uow, subscription.addons),
            coupons,
            period,
            cycle=1,
            first=first,
            tax=tax,
        )
        if first or not once:
            return lines
        return (*lines, *self._once_lines(uow, subscription.addons, once, tax))

    def _addon_items(
        self, uow: SubscriptionsStore, items: Sequence[SubscriptionAddon]
    ) -> list[tuple[Addon, int]]:
        batch = self._catalog(uow)
        get = uow.addons.get if batch is None else batch.addon
        found = []
        for item in items:
            addon = get(item.addon_id)
            if addon is not None:
                found.append((addon, item.quantity))
        return found

    def _coupon_items(
        self, uow: SubscriptionsStore, items: Sequence[SubscriptionCoupon]
    ) -> list[tuple[Coupon, SubscriptionCoupon]]:
        batch = self._catalog(uow)
        get = uow.coupons.get if batch is None else batch.coupon
        found = []
        for item in items:
            coupon = get(item.coupon_id)
            if coupon is not None:
                found.append((coupon, item))
        return found

    def _once_lines(
        self,
        uow: SubscriptionsStore,
        items: Sequence[SubscriptionAddon],
        once: Sequence[str],
        tax: TaxRate | None,
    ) -> list[InvoiceLine]:
        """Whole lines for the one-time addons an edit adds (the first invoice has its own)."""
        batch = self._catalog(uow)
        get = uow.addons.get if batch is None else batch.addon
        lines = []
        for item in items:
            addon = get(item.addon_id)
            if addon is not None and addon.id in once and addon.kind is AddonKind.ONE_TIME:
                lines.append(
                    InvoiceLine.of(
                        addon.name, item.quantity, addon.price, tax=tax, product=addon.product
                    )
                )
        return lines

    # --- subscriptions ------------------------------------------------------------------------

    def create(
        self,
        customer_id: str,
        plan: str,
        *,
        start_date: date | None = None,
        addons: Iterable[str] | Iterable[tuple[str, int]] = (),
        coupons: Iterable[str] = (),
        auto_charge: bool = False,
        payment_method_id: str | None = None,
        actor: Principal,
    ) -> Subscription:
        """Subscribe a customer to a plan: now, or from a later day (status future).

        Starting now, a plan with a trial starts its trial; one without goes live at once with
        its first invoice (the setup fee, the first term, one-time and recurring addons, the
        coupons off the plan's line), issued through billing and, with auto-charge, charged.

        Args:
            customer_id: The customer.
            plan: The plan's code.
            start_date: The first day; today when None. A later day makes it future.
            addons: The addons of the plan's product: codes, or (code, quantity) pairs.
            coupons: The codes customers type of coupons of the plan's product.
            auto_charge: Charge every invoice to a saved payment method of the customer.
            payment_method_id: That method; the customer's default one when None.
            actor: Who acts: staff or the system.

        Returns:
            The subscription: future, in its trial, or live.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CustomerNotFoundError: No such customer (`customer.not_found`).
            PlanNotFoundError: No such plan (`subscription.plan_not_found`).
            AddonNotFoundError: No such addon (`subscription.addon_not_found`).
            CouponNotFoundError: No such coupon (`subscription.coupon_not_found`).
            WrongProductError: An addon or a coupon of another product
                (`subscription.wrong_product`).
            CouponArchivedError: A coupon was withdrawn (`subscription.coupon_archived`).
            CouponExpiredError: A coupon's last day to apply it has passed
                (`subscription.coupon_expired`).
            CouponUsedUpError: A coupon was applied as many times as it may be
                (`subscription.coupon_used_up`).
            NoPaymentMethodError: Auto-charge without a saved payment method
                (`subscription.no_payment_method`).
            PaymentMethodNotFoundError: No such saved method of the customer's
                (`billing.payment_method_not_found`).
            InvalidInputError: A start day in the past, or a malformed value
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        wanted_addons = _addons(addons)
        wanted_coupons = _codes(coupons, "coupons")
        charge = validate.flag(auto_charge, "auto_charge")
        charges: list[_Charge] = []
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "create a subscription")
            cid = self._billing._customer(uow, principal, customer_id)
            chosen = self._plan(uow, plan)
            coupon_ids = self._check_items(uow, chosen, wanted_addons, wanted_coupons)
            method = self._method(uow, cid, charge, payment_method_id)
            now = self._rt.now()
            # The customer's calendar (their own zone, else the organisation's): its days are
            # the subscription's for good, so its terms renew at midnight where they are.
            customer = uow.customers.get(cid)
            assert customer is not None
            zone = customer_zone(customer, self._customers.time_zone)
            today = local_day(now, zone)
            start = today if start_date is None else validate.as_date(start_date, "start_date")
            if start < today:
                raise InvalidInputError(
                    "A subscription cannot start on a day that has passed.", field="start_date"
                )
            self._redeem(uow, coupon_ids, today)
            subscription = Subscription(
                id=self._rt.new_id("sub"),
                customer_id=cid,
                product=chosen.product,
                plan_id=chosen.id,
                status=_S.FUTURE,
                start_date=start,
                term_start=start,
                term_end=start,
                created_at=now,
                created_by=principal.label,
                auto_charge=charge,
                payment_method_id=method,
                addons=wanted_addons,
                coupons=tuple(SubscriptionCoupon(c) for c in coupon_ids),
                time_zone=zone.key,
            ).scheduled()
            uow.subscriptions.add(subscription)
            self._rt.publish(
                uow,
                SubscriptionCreated(
                    subscription.id, cid, chosen.product, chosen.id, subscription.status.value
                ),
            )
            if start == today:
                subscription = self._start(uow, subscription, chosen, now, charges)
        self._collect_all(charges)
        return self._reread(subscription.id)

    def _check_items(
        self,
        uow: SubscriptionsStore,
        plan: Plan,
        addons: Sequence[SubscriptionAddon],
        coupons: Sequence[str],
    ) -> tuple[str, ...]:
        """Check the addons and coupons are the plan's product's; the coupons' ids."""
        for item in addons:
            addon = uow.addons.get(item.addon_id)
            if addon is None:
                raise AddonNotFoundError(
                    f"no addon {item.addon_id!r}", details={"addon": item.addon_id}
                )
            if addon.product != plan.product:
                raise WrongProductError(
                    f"The addon {addon.name} is for another product than the plan {plan.name}.",
                    details={"field": "addons", "addon": addon.id, "product": addon.product},
                )
        ids = []
        for code in coupons:
            coupon = uow.coupons.by_code(code)
            if coupon is None:
                raise CouponNotFoundError(f"no coupon {code!r}", details={"coupon": code})
            product = uow.coupons.product_of(coupon.id)
            if product != plan.product:
                raise WrongProductError(
                    f"The coupon {code} is for another product than the plan {plan.name}.",
                    details={"field": "coupons", "coupon": code, "product": product},
                )
            ids.append(coupon.id)
        return tuple(ids)

    def _method(
        self, uow: SubscriptionsStore, cid: str, auto_charge: bool, method_id: object
    ) -> str | None:
        """The saved payment method auto-charge uses: the one named, or the default."""
        if method_id is None:
            found = uow.payment_methods.default(cid)
        else:
            found = (
                uow.payment_methods.get(method_id) if validate.is_ref(method_id) else None  # type: ignore[arg-type]
            )
            if found is None or found.customer_id != cid:
                raise not_found(
                    PaymentMethodNotFoundError, "payment method", "payment_method_id", method_id
                )()
        if auto_charge and found is None:
            raise NoPaymentMethodError(
                "Auto-charge needs a saved card, and the account has none.",
                details={"field": "auto_charge"},
            )
        return None if found is None else found.id

    def get(self, subscription_id: str, *, actor: Principal) -> Subscription:
        """The subscription.

        Args:
            subscription_id: The subscription.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The subscription.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            return self._subscription(uow, actor, subscription_id)

    def subscriptions(self, customer_id: str, *, actor: Principal) -> list[Subscription]:
        """The customer's subscriptions, oldest first (003 seed, "View Subscriptions").

        Args:
            customer_id: The customer.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The subscriptions.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            cid = self._billing._customer(uow, actor, customer_id)
            return uow.subscriptions.for_customer(cid)

    def allowed_actions(
        self, subscription_id: str, *, actor: Principal
    ) -> tuple[SubscriptionAction, ...]:
        """What a person may do with the subscription now: the buttons a screen shows.

        Args:
            subscription_id: The subscription.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The actions the lifecycle table allows from its status.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return allowed_actions(self.get(subscription_id, actor=actor))

    def periods(self, subscription_id: str, *, actor: Principal) -> list[BilledPeriod]:
        """The periods invoiced for the subscription, by start, each with its invoice
        (003 seed, "View Invoices" of a subscription). A period none of whose days stays
        billed is not among them: an expired trial's, whose invoice was voided, or a term
        paused or reactivated on its first day, credited whole (its invoice and the credit
        note stay in billing).

        Args:
            subscription_id: The subscription.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The billed periods.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            found = self._subscription(uow, actor, subscription_id)
            return uow.subscription_periods.for_subscription(found.id)

    def _reread(self, subscription_id: str) -> Subscription:
        with self._rt.uow(readonly=True) as uow:
            found = uow.subscriptions.get(subscription_id)
        assert found is not None
        return found

    # --- moves --------------------------------------------------------------------------------

    def _move(
        self,
        uow: SubscriptionsStore,
        subscription: Subscription,
        action: SubscriptionAction,
        now: datetime,
        **changes: object,
    ) -> Subscription:
        """Apply `action` by the table, with `changes`, save, and announce it."""
        status = transition(subscription.status, action, previous=subscription.previous_status)
        moved = attrs.evolve(subscription, status=status, **changes).scheduled()  # type: ignore[arg-type]
        saved = uow.subscriptions.update(moved)
        self._rt.publish(
            uow,
            SubscriptionChanged(
                saved.id,
                saved.customer_id,
                saved.product,
                action.value,
                subscription.status.value,
                saved.status.value,
                now,
            ),
        )
        self._paid_facts(uow, subscription, saved)
        return saved

    def _paid_facts(
        self, uow: SubscriptionsStore, before: Subscription, after: Subscription
    ) -> None:
        """The customer's plan for the product follows its subscriptions: paid since the day one
        went live (the partner program's 3-month rule reads it), free again once none pays."""
        was, now = _paying(before), _paying(after)
        if was == now:
            return
        if now:
            plan = uow.plans.get(after.plan_id)
            if plan is None or not plan.price.is_positive:
                return
            since = after.anchor or after.day_of(self._rt.now())
            self._customers.set_plan(
                after.customer_id, after.product, Edition.PAID, since=since, actor=SYSTEM
            )
            return
        others = [
            s
            for s in uow.subscriptions.for_customer(after.customer_id)
            if s.id != after.id and s.product == after.product and s.status in _PAYING
        ]
        customer = uow.customers.get(after.customer_id)
        current = None if customer is None else customer.plan(after.product)
        if not others and current is not None and current.edition is Edition.PAID:
            self._customers.set_plan(after.customer_id, after.product, Edition.FREE, actor=SYSTEM)

    def _bill(
        self,
        uow: SubscriptionsStore,
        subscription: Subscription,
        plan: Plan,
        period: Term,
        *,
        first: bool,
        once: Sequence[str] = (),
    ) -> Invoice:
        """Invoice one period through billing and record it: the period's unique key refuses
        a second invoice for it, in this same transaction."""
        tax = self._default_tax(uow)
        lines = self._lines_taxed(uow, subscription, plan, period, tax, first=first, once=once)
        # In this unit of work, which holds the subscription (so its customer) and read the
        # lines' catalog rows: billing does not read them again.
        invoice = self._billing._invoice_in(
            uow,
            subscription.customer_id,
            lines,
            subscription_id=subscription.id,
            default_tax=tax,
            actor=SYSTEM,
        )
        uow.subscription_periods.add(
            BilledPeriod(subscription.id, period.start, period.end, invoice.id, self._rt.now())
        )
        self._rt.publish(
            uow,
            SubscriptionInvoiced(
                subscription.id, subscription.customer_id, invoice.id, period.start, period.end
            ),
        )
        return invoice

    def _owes(
        self, subscription: Subscription, invoice: Invoice, now: datetime
    ) -> dict[str, object]:
        """The fields that make the run charge `invoice` (with auto-charge and a method)."""
        if (
            not subscription.auto_charge
            or subscription.payment_method_id is None
            or invoice.status is InvoiceStatus.PAID
        ):
            return {}
        return {
            "unpaid_invoice_id": invoice.id,
            "charge_at": now,
            "charge_attempts": 0,
            "first_failure_at": None,
        }

    def _go_live(
        self,
        uow: SubscriptionsStore,
        subscription: Subscription,
        plan: Plan,
        action: SubscriptionAction,
        anchor: date,
        now: datetime,
        charges: list[_Charge],
        *,
        first: bool = True,
        once: Sequence[str] = (),
        carried: _Carried | None = None,
        **changes: object,
    ) -> Subscription:
        """Live from `anchor`: a new first term invoiced (the setup fee and one-time addons on
        the subscription's first invoice only; `once`, what an edit adds; `carried`, a credit
        for days the customer paid for already), charged after commit with auto-charge for
        what is left to pay. Starting, converting a trial, resuming and reactivating all do
        this."""
        following = term(anchor, plan.period, 1)
        invoice = self._bill(uow, subscription, plan, following, first=first, once=once)
        if carried is not None:
            self._credit(
                uow, subscription, carried.amount, carried.reason, (carried.replaced, invoice)
            )
            fresh = uow.invoices.get(invoice.id)
            assert fresh is not None
            invoice = fresh
        owes = self._owes(subscription, invoice, now)
        live = self._move(
            uow,
            subscription,
            action,
            now,
            anchor=anchor,
            term_index=1,
            term_start=following.start,
            term_end=following.end,
            cycles_billed=subscription.cycles_billed + 1,
            **{**changes, **owes},
        )
        self._queue(uow, live, charges)
        return live

    def _start(
        self,
        uow: SubscriptionsStore,
        subscription: Subscription,
        plan: Plan,
        now: datetime,
        charges: list[_Charge],
    ) -> Subscription:
        trial = plan.trial
        day = subscription.start_date
        if trial is None:
            return self._go_live(uow, subscription, plan, _A.START, day, now, charges)
        ends = term(day, trial, 1).end
        return self._move(
            uow, subscription, _A.START_TRIAL, now, term_start=day, term_end=ends, trial_end=ends
        )

    def _queue(
        self, uow: SubscriptionsStore, subscription: Subscription, charges: list[_Charge]
    ) -> None:
        """Queue the charge the subscription owes. A retry in dunning collects the invoice that
        failed and every renewal invoiced since the failure that is still unpaid, in one
        payment: the retry that goes through settles them all."""
        if subscription.unpaid_invoice_id is None or subscription.payment_method_id is None:
            return
        # The key names the subscription and the period (its one invoice) and the attempt: a
        # run that repeats an attempt gets billing's first answer back, never a second charge.
        invoice = subscription.unpaid_invoice_id
        ids = [invoice]
        if subscription.first_failure_at is not None:
            for period in uow.subscription_periods.billed_since(
                subscription.id, subscription.first_failure_at
            ):
                found = uow.invoices.get(period.invoice_id)
                if found is not None and found.id != invoice and found.status in OUTSTANDING:
                    ids.append(found.id)
        attempt = subscription.charge_attempts + 1
        charges.append(
            _Charge(
                subscription.id,
                subscription.customer_id,
                invoice,
                subscription.payment_method_id,
                f"subscription:{subscription.id}:{invoice}:{attempt}",
                subscription.charge_attempts,
                tuple(ids),
            )
        )

    # --- trials -------------------------------------------------------------------------------

    def preview_activate(
        self, subscription_id: str, *, customer_allowed: bool = True, actor: Principal
    ) -> ChargesSummary:
        """What converting the trial to live now would invoice: the charges summary shown
        before the customer confirms (003 seed, "Convert Trials to Live"). Stores nothing.

        Args:
            subscription_id: The subscription, in its trial.
            customer_allowed: Whether the customer's own users may do this (a portal
                preference); staff and the system always may.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The summary of the first invoice: its lines and total, and the first term.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is not in its trial
                (`subscription.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            found = self._subscription(
                uow, actor, subscription_id, customer_allowed=customer_allowed
            )
            transition(found.status, _A.ACTIVATE)
            _no_charge_pending(found)
            plan = self._plan(uow, found.plan_id)
            first = term(found.day_of(self._rt.now()), plan.period, 1)
            lines = self._lines_for(uow, found, plan, first, first=True)
            return summary(found.id, first, lines)

    def activate(
        self, subscription_id: str, *, customer_allowed: bool = True, actor: Principal
    ) -> Subscription:
        """Convert a trial to live now: the trial ends, the first term starts today and is
        invoiced (003 seed, "Convert Trials to Live": "An invoice will be created as well"),
        and with auto-charge the invoice is charged.

        Args:
            subscription_id: The subscription, in its trial.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, live.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is not in its trial
                (`subscription.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        charges: list[_Charge] = []
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            transition(found.status, _A.ACTIVATE)
            _no_charge_pending(found)
            plan = self._plan(uow, found.plan_id)
            now = self._rt.now()
            live = self._go_live(uow, found, plan, _A.ACTIVATE, found.day_of(now), now, charges)
        self._collect_all(charges)
        return self._reread(live.id)

    def extend_trial(
        self, subscription_id: str, *, customer_allowed: bool = True, actor: Principal
    ) -> Subscription:
        """Extend a trial that expired because it could not be charged at its end, once, by the
        plan's trial period from today (003 seed, "Extend Trials").

        Args:
            subscription_id: The subscription, expired at its trial's end.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, in its trial again.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            TrialNotExtendableError: It did not expire at its trial's end, or its trial was
                extended before (`subscription.trial_not_extendable`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            if not found.trial_extendable:
                raise TrialNotExtendableError(
                    details={
                        "status": found.status.value,
                        "trial_extended": found.trial_extended,
                    },
                )
            plan = self._plan(uow, found.plan_id)
            trial = plan.trial or BillingPeriod(IntervalUnit.DAY, 14)
            now = self._rt.now()
            today = found.day_of(now)
            ends = term(today, trial, 1).end
            return self._move(
                uow,
                found,
                _A.EXTEND_TRIAL,
                now,
                term_start=today,
                term_end=ends,
                trial_end=ends,
                trial_extended=True,
                expired_at=None,
            )

    # --- cancellation -------------------------------------------------------------------------

    def cancel(
        self,
        subscription_id: str,
        *,
        at_term_end: bool = False,
        customer_allowed: bool = True,
        actor: Principal,
    ) -> Subscription:
        """Cancel a subscription (or a trial) now, or at the end of the current term (003 seed,
        "Cancel Subscriptions", "Cancel Trials"): scheduled, it is non-renewing until then.

        Args:
            subscription_id: The subscription.
            at_term_end: Schedule the cancellation for the end of the current term.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, cancelled or non-renewing.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: Its status does not allow it (cancelled or
                expired already; scheduled already) (`subscription.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        later = validate.flag(at_term_end, "at_term_end")
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            now = self._rt.now()
            _no_charge_pending(found)
            if later:
                return self._move(
                    uow, found, _A.SCHEDULE_CANCELLATION, now, previous_status=found.status
                )
            return self._move(
                uow, found, _A.CANCEL, now, cancelled_at=now, **_settled(), **_unscheduled()
            )

    def remove_scheduled_cancellation(
        self, subscription_id: str, *, customer_allowed: bool = True, actor: Principal
    ) -> Subscription:
        """Keep a subscription scheduled to be cancelled at its term's end: it returns to the
        status it had before (003 seed, "Remove Scheduled Cancellation").

        Args:
            subscription_id: The subscription, non-renewing.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, in its status before the cancellation was scheduled.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: No cancellation is scheduled
                (`subscription.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            return self._move(
                uow, found, _A.REMOVE_SCHEDULED_CANCELLATION, self._rt.now(), previous_status=None
            )

    # --- edits (003 seed, "Edit Subscriptions") -----------------------------------------------

    def _target(
        self,
        uow: SubscriptionsStore,
        sub: Subscription,
        plan: object,
        addons: tuple[SubscriptionAddon, ...] | None,
        coupons: tuple[str, ...] | None,
        *,
        first_cycle: int,
    ) -> _Target:
        """The plan, addons and coupons an edit asks for (None keeps what the subscription has),
        checked against the subscription's product and currency."""
        current = self._plan(uow, sub.plan_id)
        chosen = current if plan is None else self._plan(uow, plan)
        if chosen.product != sub.product:
            raise WrongProductError(
                f"The plan {chosen.name} is for another product than the subscription.",
                details={"field": "plan", "plan": chosen.id, "product": chosen.product},
            )
        if chosen.currency != current.currency:
            raise PlanCurrencyError(
                f"The plan {chosen.name} is priced in {chosen.currency}, the subscription in "
                f"{current.currency}.",
                field="plan",
                details={"plan": chosen.id, "currency": chosen.currency},
            )
        wanted = sub.addons if addons is None else addons
        ids = self._check_items(uow, chosen, () if addons is None else wanted, coupons or ())
        if coupons is None:
            ids = sub.coupon_ids
        kept = {c.coupon_id: c for c in sub.coupons}
        before = {a.addon_id for a in sub.addons}
        return _Target(
            plan=chosen,
            addons=wanted,
            coupons=tuple(kept.get(c) or SubscriptionCoupon(c, first_cycle) for c in ids),
            added=tuple(c for c in ids if c not in kept),
            once=tuple(a.addon_id for a in wanted if a.addon_id not in before),
            changed=chosen.id != sub.plan_id or wanted != sub.addons or ids != sub.coupon_ids,
        )

    def _redeem(
        self, uow: SubscriptionsStore, coupon_ids: Sequence[str], today: date, *, count: bool = True
    ) -> None:
        """Apply each coupon's limits (withdrawn, last day, redemptions) and count it: under the
        coupon's lock, so two customers cannot both take its last redemption."""
        for coupon_id in sorted(coupon_ids):  # one lock order: no deadlock between appliers
            coupon = uow.coupons.get(coupon_id, for_update=count)
            if coupon is None:
                continue
            decision = decide_redemption(coupon, today, uow.coupons.redemptions(coupon_id))
            if not decision.allowed:
                decision.raise_refusal()
            if count:
                uow.coupons.redeem(coupon_id)

    def _term_invoice(self, uow: SubscriptionsStore, sub: Subscription) -> Invoice | None:
        """The invoice that billed the current term, unless it was voided."""
        period = uow.subscription_periods.get(sub.id, sub.term_start)
        found = None if period is None else uow.invoices.get(period.invoice_id)
        return None if found is None or found.status is InvoiceStatus.VOID else found

    def _unused(
        self, uow: SubscriptionsStore, sub: Subscription, plan: Plan, day: date
    ) -> tuple[Money, Invoice | None]:
        """The credit for the current term's days from `day` on, at what its recurring charges
        cost (tax included), and the term's invoice; zero when the term was not billed."""
        zero = Money.zero(plan.currency)
        invoice = self._term_invoice(uow, sub)
        if invoice is None or sub.anchor is None or day >= sub.term_end:
            return zero, invoice
        current = Term(sub.term_index, sub.term_start, sub.term_end)
        cycle = max(sub.cycles_billed, 1)
        paid = recurring_lines(
            plan,
            self._addon_items(uow, sub.addons),
            coupons_on(self._coupon_items(uow, sub.coupons), cycle),
            current,
            tax=uow.tax_rates.default(),
        )
        return unused_credit(paid, current, day), invoice

    def _credit(
        self,
        uow: SubscriptionsStore,
        sub: Subscription,
        amount: Money,
        reason: str,
        against: Sequence[Invoice | None],
    ) -> None:
        """Credit `amount` through billing: against each open invoice in turn, up to its
        balance, and what is left as credit for later invoices."""
        left = amount
        for invoice in against:
            if invoice is None or not left.is_positive:
                continue
            fresh = uow.invoices.get(invoice.id)
            if fresh is None or fresh.status not in OUTSTANDING:
                continue
            part = min(left, fresh.balance_due)
            if part.is_positive:
                self._billing.issue_credit_note(
                    sub.customer_id, part, reason=reason, invoice_id=fresh.id, actor=SYSTEM
                )
                left = left - part
        if left.is_positive:
            self._billing.issue_credit_note(sub.customer_id, left, reason=reason, actor=SYSTEM)

    def _change_now(
        self, uow: SubscriptionsStore, sub: Subscription, target: _Target, today: date
    ) -> ChangePreview:
        """What changing now credits and charges: nothing before the first paid term; in a
        term, the unused days of what it cost and the new charges over the rest of it."""
        plan = self._plan(uow, sub.plan_id)
        ids = tuple(c.coupon_id for c in target.coupons)
        if sub.anchor is None:
            return ChangePreview(
                sub.id, target.plan.id, target.addons, ids, False, today, None, None, None
            )
        if target.plan.period != plan.period:
            raise BillingPeriodChangeError(
                f"The plan {target.plan.name} renews every {_every(target.plan)}, the "
                f"subscription every {_every(plan)}: the change can start at the end of the "
                "current term.",
                field="plan",
                details={"plan": target.plan.id},
            )
        current = Term(sub.term_index, sub.term_start, sub.term_end)
        rest = Term(sub.term_index, today, sub.term_end)
        tax = uow.tax_rates.default()
        credit, _ = self._unused(uow, sub, plan, today)
        new = recurring_lines(
            target.plan,
            self._addon_items(uow, target.addons),
            coupons_on(self._coupon_items(uow, target.coupons), max(sub.cycles_billed, 1)),
            rest,
            tax=tax,
        )
        once = self._once_lines(uow, target.addons, target.once, tax)
        lines = remaining_charge(new, once, current, today, tax=tax)
        return ChangePreview(
            subscription_id=sub.id,
            plan_id=target.plan.id,
            addons=target.addons,
            coupons=ids,
            at_term_end=False,
            effective_on=today,
            credit=credit if credit.is_positive else None,
            charges=summary(sub.id, rest, lines) if lines else None,
            proration=proration_of(
                credit, lines, current, today, old=plan.name, new=target.plan.name
            ),
        )

    def _change_later(
        self, uow: SubscriptionsStore, sub: Subscription, target: _Target
    ) -> ChangePreview:
        """What the renewal invoices with the change applied."""
        plan = self._plan(uow, sub.plan_id)
        assert sub.anchor is not None
        following = (
            term(sub.anchor, plan.period, sub.term_index + 1)
            if target.plan.period == plan.period
            else term(sub.term_end, target.plan.period, 1)
        )
        changed = attrs.evolve(sub, plan_id=target.plan.id, addons=target.addons)
        changed = attrs.evolve(changed, coupons=target.coupons)
        lines = self._lines_for(uow, changed, target.plan, following, first=False, once=target.once)
        return ChangePreview(
            subscription_id=sub.id,
            plan_id=target.plan.id,
            addons=target.addons,
            coupons=tuple(c.coupon_id for c in target.coupons),
            at_term_end=True,
            effective_on=sub.term_end,
            credit=None,
            charges=summary(sub.id, following, lines),
            proration=None,
        )

    def _edit(
        self,
        uow: SubscriptionsStore,
        found: Subscription,
        plan: object,
        addons: tuple[SubscriptionAddon, ...] | None,
        coupons: tuple[str, ...] | None,
        later: bool,
        today: date,
    ) -> tuple[_Target, ChangePreview]:
        transition(found.status, _A.SCHEDULE_CHANGE if later else _A.CHANGE)
        first_cycle = found.cycles_billed + 1 if later else max(found.cycles_billed, 1)
        target = self._target(uow, found, plan, addons, coupons, first_cycle=first_cycle)
        if not target.changed:
            raise NoChangeError(field="plan")
        preview = (
            self._change_later(uow, found, target)
            if later
            else self._change_now(uow, found, target, today)
        )
        return target, preview

    def preview_change(
        self,
        subscription_id: str,
        *,
        plan: str | None = None,
        addons: Iterable[str] | Iterable[tuple[str, int]] | None = None,
        coupons: Iterable[str] | None = None,
        at_term_end: bool = False,
        customer_allowed: bool = True,
        actor: Principal,
    ) -> ChangePreview:
        """What a change of plan, addons or coupons would credit and charge, before the person
        confirms it (003 seed, "Edit Subscriptions"). Stores nothing.

        Args:
            subscription_id: The subscription.
            plan: The new plan's code, of the same product; None keeps the plan.
            addons: The addons after the change (codes, or (code, quantity) pairs); None keeps
                them, an empty list removes them all.
            coupons: The codes of the coupons after the change; None keeps them.
            at_term_end: Preview the change at the end of the current term instead of now.
            customer_allowed: Whether the customer's own users may do this (a portal
                preference); staff and the system always may.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The preview: now, the credit for the unused days and the invoice for the rest of
            the term; at term end, the renewal's invoice.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: Its status allows no such change (cancelled,
                expired, paused, in dunning; at term end, anything but live)
                (`subscription.invalid_transition`).
            PlanNotFoundError: No such plan (`subscription.plan_not_found`).
            AddonNotFoundError: No such addon (`subscription.addon_not_found`).
            CouponNotFoundError: No such coupon (`subscription.coupon_not_found`).
            WrongProductError: A plan, addon or coupon of another product
                (`subscription.wrong_product`).
            PlanCurrencyError: A plan in another currency (`subscription.plan_currency`).
            BillingPeriodChangeError: Now, to a plan of another billing period
                (`subscription.billing_period_change`).
            NoChangeError: Nothing would change (`subscription.no_change`).
            CouponArchivedError: A new coupon was withdrawn (`subscription.coupon_archived`).
            CouponExpiredError: A new coupon's last day has passed
                (`subscription.coupon_expired`).
            CouponUsedUpError: A new coupon was applied as often as it may be
                (`subscription.coupon_used_up`).
            InvalidInputError: A malformed value (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        wanted_addons, wanted_coupons = _edits(addons, coupons)
        later = validate.flag(at_term_end, "at_term_end")
        with self._rt.uow(readonly=True) as uow:
            found = self._subscription(
                uow, actor, subscription_id, customer_allowed=customer_allowed
            )
            today = found.day_of(self._rt.now())
            target, preview = self._edit(
                uow, found, plan, wanted_addons, wanted_coupons, later, today
            )
            self._redeem(uow, target.added, today, count=False)
            return preview

    def change(
        self,
        subscription_id: str,
        *,
        plan: str | None = None,
        addons: Iterable[str] | Iterable[tuple[str, int]] | None = None,
        coupons: Iterable[str] | None = None,
        at_term_end: bool = False,
        customer_allowed: bool = True,
        actor: Principal,
    ) -> Subscription:
        """Change the plan, addons or coupons, now or at the end of the current term (003 seed,
        "Edit Subscriptions": "apply their changes to reflect immediately, or at the end of the
        current term").

        Now, in a paid term, the change is prorated by day: a credit note for the unused days
        of what the term's recurring charges cost (against the new invoice first, the rest as
        credit for later invoices) and an invoice for the new charges over the rest of the term
        (one-time addons it adds billed whole), charged with auto-charge like a renewal (unless
        another charge of the subscription is still waiting: then it is paid by hand); the term
        itself stays. Before the first paid term (future, trial) nothing is billed. A plan
        of another billing period can only start at the end of a term. At term end, the change
        waits for the renewal, which invoices the new plan (from the renewal day, as a new
        anchor, for another billing period); `remove_scheduled_change` withdraws it. A change now
        replaces a scheduled one. New coupons are counted against their limits when the change
        is made; their durations count from the term they first apply to.

        Args:
            subscription_id: The subscription.
            plan: The new plan's code, of the same product; None keeps the plan.
            addons: The addons after the change; None keeps them.
            coupons: The codes of the coupons after the change; None keeps them.
            at_term_end: Apply the change at the end of the current term.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription: changed, or with its change scheduled.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: Its status allows no such change
                (`subscription.invalid_transition`).
            PlanNotFoundError: No such plan (`subscription.plan_not_found`).
            AddonNotFoundError: No such addon (`subscription.addon_not_found`).
            CouponNotFoundError: No such coupon (`subscription.coupon_not_found`).
            WrongProductError: A plan, addon or coupon of another product
                (`subscription.wrong_product`).
            PlanCurrencyError: A plan in another currency (`subscription.plan_currency`).
            BillingPeriodChangeError: Now, to a plan of another billing period
                (`subscription.billing_period_change`).
            NoChangeError: Nothing would change (`subscription.no_change`).
            CouponArchivedError: A new coupon was withdrawn (`subscription.coupon_archived`).
            CouponExpiredError: A new coupon's last day has passed
                (`subscription.coupon_expired`).
            CouponUsedUpError: A new coupon was applied as often as it may be
                (`subscription.coupon_used_up`).
            InvalidInputError: A malformed value (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        wanted_addons, wanted_coupons = _edits(addons, coupons)
        later = validate.flag(at_term_end, "at_term_end")
        charges: list[_Charge] = []
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            now = self._rt.now()
            today = found.day_of(now)
            target, preview = self._edit(
                uow, found, plan, wanted_addons, wanted_coupons, later, today
            )
            self._redeem(uow, target.added, today)
            if later:
                return self._move(
                    uow,
                    found,
                    _A.SCHEDULE_CHANGE,
                    now,
                    scheduled_plan_id=target.plan.id,
                    scheduled_addons=target.addons,
                    scheduled_coupons=preview.coupons,
                )
            changed = attrs.evolve(
                found,
                plan_id=target.plan.id,
                addons=target.addons,
                coupons=target.coupons,
                **_unchanged(),  # type: ignore[arg-type]
            )
            invoice = None
            if preview.charges is not None:
                invoice = self._billing.create_invoice(
                    found.customer_id,
                    preview.charges.lines,
                    subscription_id=found.id,
                    issue=True,
                    actor=SYSTEM,
                )
            if preview.credit is not None:
                old = self._plan(uow, found.plan_id)
                self._credit(
                    uow,
                    found,
                    preview.credit,
                    f"Unused time on {old.name}, {today} to {found.term_end - timedelta(days=1)}",
                    (invoice, self._term_invoice(uow, found)),
                )
            owes: dict[str, object] = {}
            if invoice is not None and found.unpaid_invoice_id is None:
                fresh = uow.invoices.get(invoice.id)
                assert fresh is not None
                owes = self._owes(found, fresh, now)
            saved = self._move(uow, changed, _A.CHANGE, now, **owes)
            if owes:
                self._queue(uow, saved, charges)
        self._collect_all(charges)
        return self._reread(saved.id)

    def remove_scheduled_change(
        self, subscription_id: str, *, customer_allowed: bool = True, actor: Principal
    ) -> Subscription:
        """Withdraw the change scheduled for the end of the term: the renewal keeps the plan,
        addons and coupons (a coupon it would have added stays counted as applied).

        Args:
            subscription_id: The subscription.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, with no change scheduled.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: Its status allows no scheduled change
                (`subscription.invalid_transition`).
            NoScheduledChangeError: No change is scheduled (`subscription.no_scheduled_change`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            transition(found.status, _A.REMOVE_SCHEDULED_CHANGE)
            if not found.has_scheduled_change:
                raise NoScheduledChangeError(
                    details={"status": found.status.value, "action": "remove_scheduled_change"}
                )
            return self._move(
                uow, found, _A.REMOVE_SCHEDULED_CHANGE, self._rt.now(), **_unchanged()
            )

    # --- pause and resume (003 seed, "Pause & Resume Subscriptions") --------------------------

    def schedule_pause(
        self,
        subscription_id: str,
        pause_on: date,
        resume_on: date | None = None,
        *,
        customer_allowed: bool = True,
        customer_may_resume: bool = True,
        actor: Principal,
    ) -> Subscription:
        """Set (or change) the day a live subscription pauses, and optionally the day it resumes.

        On the pause day (today pauses at once) the unused days of the current term are
        credited, so no paused day is billed, and nothing is billed while it is paused; on the
        resume day a new term starts (the resume day is the new anchor) with its invoice,
        charged with auto-charge. A pause that falls due while the subscription is not live (in
        dunning, or scheduled to be cancelled) is dropped; cancelling removes the schedule.

        Args:
            subscription_id: The subscription, live.
            pause_on: The first paused day: today or later.
            resume_on: The day it resumes, after `pause_on`; None to stay paused until resumed.
            customer_allowed: Whether the customer's own users may pause.
            customer_may_resume: Whether they may set a resume day (003 seed: "will not be able
                to configure a Resume schedule ... if you haven't provided them with permission
                to resume subscriptions").
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription: live with its schedule, or paused.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and pausing (or setting a resume day) is not
                allowed to customers (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is not live (`subscription.invalid_transition`).
            PauseInPastError: `pause_on` has passed (`subscription.pause_in_past`).
            ResumeNotAfterPauseError: `resume_on` is not after `pause_on`
                (`subscription.resume_not_after_pause`).
            InvalidInputError: A day is not a day (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            if resume_on is not None and not validate.flag(
                customer_may_resume, "customer_may_resume"
            ):
                self._rt.guard.require_staff(actor, "set the day a subscription resumes")
            now = self._rt.now()
            schedule = PauseSchedule.create(pause_on, resume_on, today=found.day_of(now))
            transition(found.status, _A.SCHEDULE_PAUSE)
            sub = self._move(
                uow,
                found,
                _A.SCHEDULE_PAUSE,
                now,
                pause_on=schedule.pause_on,
                resume_on=schedule.resume_on,
            )
            if schedule.pause_on == found.day_of(now):
                sub = self._pause(uow, sub, self._plan(uow, sub.plan_id), now)
        return sub

    def remove_scheduled_pause(
        self, subscription_id: str, *, customer_allowed: bool = True, actor: Principal
    ) -> Subscription:
        """Delete the pause schedule of a live subscription before the pause starts (003 seed:
        "Clicking Delete Schedule will remove the currently applied Pause and Resume schedules").

        Args:
            subscription_id: The subscription, live.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, with no pause scheduled.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is not live (paused already: resume it)
                (`subscription.invalid_transition`).
            NoScheduledPauseError: No pause is scheduled (`subscription.no_scheduled_pause`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            transition(found.status, _A.REMOVE_SCHEDULED_PAUSE)
            if found.pause_on is None:
                raise NoScheduledPauseError(
                    details={"status": found.status.value, "action": "remove_scheduled_pause"}
                )
            return self._move(
                uow, found, _A.REMOVE_SCHEDULED_PAUSE, self._rt.now(), pause_on=None, resume_on=None
            )

    def schedule_resume(
        self,
        subscription_id: str,
        resume_on: date | None,
        *,
        customer_allowed: bool = True,
        customer_may_resume: bool = True,
        actor: Principal,
    ) -> Subscription:
        """Set, change or clear the day a paused subscription resumes (003 seed: "They can
        delete or change the configured pause and resume schedules at any time").

        Args:
            subscription_id: The subscription, paused.
            resume_on: The day it resumes, after today; None to stay paused until resumed.
            customer_allowed: Whether the customer's own users may change the schedule.
            customer_may_resume: Whether they may set a resume day.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, paused, with its resume day.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action (or resuming) is not allowed to
                customers (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is not paused
                (`subscription.invalid_transition`).
            ResumeNotAfterPauseError: `resume_on` is not after today
                (`subscription.resume_not_after_pause`).
            InvalidInputError: `resume_on` is not a day (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            if not validate.flag(customer_may_resume, "customer_may_resume"):
                self._rt.guard.require_staff(actor, "set the day a subscription resumes")
            transition(found.status, _A.SCHEDULE_RESUME)
            now = self._rt.now()
            day = None if resume_on is None else validate.as_date(resume_on, "resume_on")
            today = found.day_of(now)
            if day is not None and day <= today:
                raise ResumeNotAfterPauseError(
                    f"The subscription cannot resume on {day}: choose a later day than today, "
                    "or resume it now.",
                    field="resume_on",
                    details={"resume_on": day.isoformat(), "today": today.isoformat()},
                )
            return self._move(uow, found, _A.SCHEDULE_RESUME, now, resume_on=day)

    def resume_now(
        self,
        subscription_id: str,
        *,
        customer_allowed: bool = True,
        customer_may_resume: bool = True,
        actor: Principal,
    ) -> Subscription:
        """Resume a paused subscription today: a new term starts today (the new anchor) with
        its invoice, charged with auto-charge. The pause credited the unused days of the term
        it cut, so nothing is billed twice, even when it resumes on the day it paused.

        Args:
            subscription_id: The subscription, paused.
            customer_allowed: Whether the customer's own users may do this.
            customer_may_resume: Whether they may resume subscriptions.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, live.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and resuming is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is not paused
                (`subscription.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        charges: list[_Charge] = []
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            if not validate.flag(customer_may_resume, "customer_may_resume"):
                self._rt.guard.require_staff(actor, "resume a subscription")
            transition(found.status, _A.RESUME)
            now = self._rt.now()
            plan = self._plan(uow, found.plan_id)
            live = self._resume(uow, found, plan, found.day_of(now), now, charges)
        self._collect_all(charges)
        return self._reread(live.id)

    def _pause(
        self, uow: SubscriptionsStore, sub: Subscription, plan: Plan, now: datetime
    ) -> Subscription:
        """Pause on the schedule's day: the term ends there, its unused days are credited."""
        day = sub.pause_on
        assert day is not None
        credit, invoice = self._unused(uow, sub, plan, day)
        if credit.is_positive:
            self._credit(
                uow,
                sub,
                credit,
                f"{plan.name} paused from {day}: unused time to {sub.term_end - timedelta(days=1)}",
                (invoice,),
            )
        self._free_if_unused(uow, sub, invoice, day)
        return self._move(uow, sub, _A.PAUSE, now, term_end=max(day, sub.term_start))

    @staticmethod
    def _free_if_unused(
        uow: SubscriptionsStore, sub: Subscription, invoice: Invoice | None, day: date
    ) -> None:
        """A term cut on its first day had every day credited: none of it stays billed, so its
        period is free for the term a resume or a reactivation starts that same day (without
        this, the customer could not resume on the day they paused)."""
        if invoice is not None and day <= sub.term_start:
            uow.subscription_periods.release(sub.id, sub.term_start)

    def _resume(
        self,
        uow: SubscriptionsStore,
        sub: Subscription,
        plan: Plan,
        day: date,
        now: datetime,
        charges: list[_Charge],
    ) -> Subscription:
        """Live again from `day`: renewals count from it (issue 11: "renewals resume from the
        resume date")."""
        return self._go_live(
            uow, sub, plan, _A.RESUME, day, now, charges, first=False, pause_on=None, resume_on=None
        )

    # --- reactivation (003 seed, "Reactivate Subscriptions") ----------------------------------

    def _reactivation(
        self,
        uow: SubscriptionsStore,
        found: Subscription,
        plan: object,
        addons: tuple[SubscriptionAddon, ...] | None,
        coupons: tuple[str, ...] | None,
    ) -> tuple[Subscription, _Target, bool]:
        transition(found.status, _A.REACTIVATE)
        target = self._target(
            uow, found, plan, addons, coupons, first_cycle=found.cycles_billed + 1
        )
        edited = attrs.evolve(
            found, plan_id=target.plan.id, addons=target.addons, coupons=target.coupons
        )
        # Never paid (a trial that expired): this is its first invoice, setup fee included.
        return edited, target, found.cycles_billed == 0

    def _replaced(
        self, uow: SubscriptionsStore, found: Subscription, today: date
    ) -> tuple[_Carried | None, Invoice | None]:
        """The credit a reactivation within the cancelled term carries: the new term bills
        again the days from today to that term's end, which its invoice billed already (a
        cancellation credits nothing), so those days are credited, against that invoice first
        while it is open (a subscription the dunning cancelled), then against the new one."""
        plan = self._plan(uow, found.plan_id)
        credit, invoice = self._unused(uow, found, plan, today)
        if not credit.is_positive:
            return None, invoice
        last = found.term_end - timedelta(days=1)
        reason = f"{plan.name} reactivated on {today}: already billed to {last}"
        return _Carried(credit, reason, invoice), invoice

    def preview_reactivation(
        self,
        subscription_id: str,
        *,
        plan: str | None = None,
        addons: Iterable[str] | Iterable[tuple[str, int]] | None = None,
        coupons: Iterable[str] | None = None,
        customer_allowed: bool = True,
        actor: Principal,
    ) -> ChargesSummary:
        """The reactivation charges, shown before the person confirms (003 seed, "Reactivate
        Subscriptions": "A summary of the reactivation charges will be shown"), with the credit
        for the cancelled term's days it bills again (`credit`). Stores nothing.

        Args:
            subscription_id: The subscription, cancelled or expired.
            plan: A new plan's code, of the same product; None keeps the plan.
            addons: The addons after the edit; None keeps them.
            coupons: The codes of the coupons after the edit; None keeps them.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The summary of the new term's invoice, from today.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is neither cancelled nor expired
                (`subscription.invalid_transition`).
            PlanNotFoundError: No such plan (`subscription.plan_not_found`).
            AddonNotFoundError: No such addon (`subscription.addon_not_found`).
            CouponNotFoundError: No such coupon (`subscription.coupon_not_found`).
            WrongProductError: A plan, addon or coupon of another product
                (`subscription.wrong_product`).
            PlanCurrencyError: A plan in another currency (`subscription.plan_currency`).
            CouponArchivedError: A new coupon was withdrawn (`subscription.coupon_archived`).
            CouponExpiredError: A new coupon's last day has passed
                (`subscription.coupon_expired`).
            CouponUsedUpError: A new coupon was applied as often as it may be
                (`subscription.coupon_used_up`).
            InvalidInputError: A malformed value (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        wanted_addons, wanted_coupons = _edits(addons, coupons)
        with self._rt.uow(readonly=True) as uow:
            found = self._subscription(
                uow, actor, subscription_id, customer_allowed=customer_allowed
            )
            edited, target, first = self._reactivation(
                uow, found, plan, wanted_addons, wanted_coupons
            )
            today = found.day_of(self._rt.now())
            self._redeem(uow, target.added, today, count=False)
            following = term(today, target.plan.period, 1)
            lines = self._lines_for(
                uow, edited, target.plan, following, first=first, once=target.once
            )
            carried, _ = self._replaced(uow, found, today)
            return attrs.evolve(
                summary(found.id, following, lines),
                credit=None if carried is None else carried.amount,
            )

    def reactivate(
        self,
        subscription_id: str,
        *,
        plan: str | None = None,
        addons: Iterable[str] | Iterable[tuple[str, int]] | None = None,
        coupons: Iterable[str] | None = None,
        customer_allowed: bool = True,
        actor: Principal,
    ) -> Subscription:
        """Reactivate a cancelled or expired subscription: live again with a new term from
        today and its invoice, charged with auto-charge like a renewal; edits of the plan,
        addons and coupons are applied first (003 seed, "Reactivate Subscriptions": customers
        who may edit "will be able to customize their subscription before proceeding"). The
        setup fee is billed only to a subscription never billed before (a trial that expired).
        Reactivated before the cancelled term would have ended, the days from today to that
        end were billed already: they are credited, against that term's invoice while it is
        open (the dunning cancelled it), then against the new one, so no day is billed twice
        (reactivated on the day it was cancelled, the new term's invoice is paid by the credit).

        Args:
            subscription_id: The subscription, cancelled or expired.
            plan: A new plan's code, of the same product; None keeps the plan.
            addons: The addons after the edit; None keeps them.
            coupons: The codes of the coupons after the edit; None keeps them.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription, live.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            InvalidSubscriptionTransitionError: It is neither cancelled nor expired
                (`subscription.invalid_transition`).
            PlanNotFoundError: No such plan (`subscription.plan_not_found`).
            AddonNotFoundError: No such addon (`subscription.addon_not_found`).
            CouponNotFoundError: No such coupon (`subscription.coupon_not_found`).
            WrongProductError: A plan, addon or coupon of another product
                (`subscription.wrong_product`).
            PlanCurrencyError: A plan in another currency (`subscription.plan_currency`).
            CouponArchivedError: A new coupon was withdrawn (`subscription.coupon_archived`).
            CouponExpiredError: A new coupon's last day has passed
                (`subscription.coupon_expired`).
            CouponUsedUpError: A new coupon was applied as often as it may be
                (`subscription.coupon_used_up`).
            InvalidInputError: A malformed value (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        wanted_addons, wanted_coupons = _edits(addons, coupons)
        charges: list[_Charge] = []
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            edited, target, first = self._reactivation(
                uow, found, plan, wanted_addons, wanted_coupons
            )
            now = self._rt.now()
            today = found.day_of(now)
            self._redeem(uow, target.added, today)
            carried, replaced = self._replaced(uow, found, today)
            self._free_if_unused(uow, found, replaced, today)
            live = self._go_live(
                uow,
                edited,
                target.plan,
                _A.REACTIVATE,
                today,
                now,
                charges,
                first=first,
                once=target.once,
                carried=carried,
                cancelled_at=None,
                expired_at=None,
                expired_at_trial_end=False,
                previous_status=None,
                **_settled(),
                **_unscheduled(),
            )
        self._collect_all(charges)
        return self._reread(live.id)

    # --- auto-charge --------------------------------------------------------------------------

    def set_auto_charge(
        self,
        subscription_id: str,
        enabled: bool,
        *,
        payment_method_id: str | None = None,
        customer_allowed: bool = True,
        actor: Principal,
    ) -> Subscription:
        """Turn auto-charge on or off (003 seed, "Change Auto-charge Status").

        On needs a saved payment method (the one named, or the customer's default), and
        collects nothing already invoiced: those invoices are paid by hand. Off while in
        dunning makes the subscription live, since no retry is possible any more.

        Args:
            subscription_id: The subscription.
            enabled: On or off.
            payment_method_id: The saved method to charge; the customer's default when None.
            customer_allowed: Whether the customer's own users may do this.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The subscription.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SubscriptionNotFoundError: No such subscription, or another organisation's
                (`subscription.not_found`).
            StaffOnlyError: A customer's user, and the action is not allowed to customers
                (`access.staff_only`).
            NoPaymentMethodError: On, and the customer has no saved payment method
                (`subscription.no_payment_method`).
            PaymentMethodNotFoundError: No such saved method of the customer's
                (`billing.payment_method_not_found`).
            InvalidSubscriptionTransitionError: It is cancelled or expired
                (`subscription.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        on = validate.flag(enabled, "enabled")
        with self._rt.uow() as uow:
            found = self._subscription(
                uow, actor, subscription_id, for_update=True, customer_allowed=customer_allowed
            )
            if found.is_ended:
                transition(found.status, _A.DISABLE_AUTO_CHARGE)
            if not on:
                _no_charge_pending(found)
            now = self._rt.now()
            if on:
                method = self._method(uow, found.customer_id, True, payment_method_id)
                # Nothing already invoiced is collected: the seed's "pay those by hand".
                changed = attrs.evolve(found, auto_charge=True, payment_method_id=method)
                return uow.subscriptions.update(changed.scheduled())
            if found.status is _S.DUNNING:
                return self._move(
                    uow, found, _A.DISABLE_AUTO_CHARGE, now, auto_charge=False, **_settled()
                )
            changed = attrs.evolve(found, auto_charge=False, **_settled())  # type: ignore[arg-type]
            return uow.subscriptions.update(changed.scheduled())

    # --- the due job --------------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        """When a subscription next has something due: a start, a trial end, a term end, a
        charge or a retry; None for nothing.

        Returns:
            The instant, or None.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        with self._rt.uow(readonly=True) as uow:
            return uow.subscriptions.next_due()

    def run_due(self, now: datetime) -> int:
        """Do what is due at `now`, batch by batch: start future subscriptions, end trials,
        renew terms (one invoice per subscription and period), end non-renewing ones; then
        make the charges owed, outside the batch's transaction, and record what each did.

        Several workers may run this at once on PostgreSQL: each batch claims its rows with
        `FOR UPDATE SKIP LOCKED`.

        Args:
            now: The kit's time.

        Returns:
            How many subscriptions were handled.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        handled = 0
        seen: set[str] = set()
        while True:
            charges: list[_Charge] = []
            with self._rt.uow() as uow:
                batch = uow.subscriptions.claim_due(now, self._policy.renewal_batch)
                if batch:
                    with self._batch_open(uow, batch, now):
                        for subscription in batch:
                            plan = self._batch_plan(uow, subscription.plan_id)
                            self._advance(uow, subscription, plan, now, charges)
            fresh = {s.id for s in batch} - seen
            if not fresh:
                # Only subscriptions this run handled already (more terms overdue than one run
                # catches up on): the next run goes on with them.
                return handled
            seen |= fresh
            handled += len(fresh)
            self._collect_all(charges)

    @contextmanager
    def _batch_open(
        self, uow: SubscriptionsStore, batch: Sequence[Subscription], now: datetime
    ) -> Iterator[None]:
        """Read what the batch bills from once: the default tax, the addons and coupons of the
        subscriptions that may be invoiced today, and their customers' billing accounts, locked
        in one go in customer order (rather than one by one in the order of the queue)."""
        billed = [s for s in batch if _may_bill(s, s.day_of(now))]
        addons = sorted({a.addon_id for s in billed for a in (*s.addons, *s.scheduled_addons)})
        coupons = sorted(
            {c.coupon_id for s in billed for c in s.coupons}
            | {c for s in billed for c in s.scheduled_coupons}
        )
        catalog = _Catalog(
            uow,
            uow.tax_rates.default(),
            {},
            dict(uow.addons.get_many(addons)) if addons else {},
            dict(uow.coupons.get_many(coupons)) if coupons else {},
        )
        if billed:
            uow.billing_accounts.lock_many([s.customer_id for s in billed])
        token = self._batch.set(catalog)
        try:
            yield
        finally:
            self._batch.reset(token)

    def _batch_plan(self, uow: SubscriptionsStore, code: str) -> Plan:
        """`_plan`, read once per batch."""
        batch = self._catalog(uow)
        if batch is None:
            return self._plan(uow, code)
        found = batch.plans.get(code)
        if found is None:
            found = batch.plans[code] = self._plan(uow, code)
        return found

    def _advance(
        self,
        uow: SubscriptionsStore,
        subscription: Subscription,
        plan: Plan,
        now: datetime,
        charges: list[_Charge],
    ) -> None:
        """Everything due for one subscription at `now`, in order; charges are queued."""
        today = subscription.day_of(now)
        sub = subscription
        while True:
            status = sub.status
            if plan.id != sub.plan_id:
                plan = self._batch_plan(uow, sub.plan_id)  # a scheduled change applied
            if sub.unpaid_invoice_id is not None and sub.charge_at is not None:
                if sub.charge_at <= now:
                    self._queue(uow, sub, charges)
                    return
                if status is _S.TRIAL:
                    return  # the trial's charge decides what comes next
            if status is _S.PAUSED:
                if sub.resume_on is not None and sub.resume_on <= today:
                    sub = self._resume(uow, sub, plan, sub.resume_on, now, charges)
                    continue
                return
            pause = sub.pause_on
            if pause is not None and pause <= today and pause <= sub.term_end:
                # Before the renewal on the same day: a term is not billed to be credited.
                if status is _S.LIVE:
                    sub = self._pause(uow, sub, plan, now)
                else:
                    # Only a live subscription pauses: in dunning or scheduled to be cancelled,
                    # the pause that fell due is dropped.
                    sub = uow.subscriptions.update(
                        attrs.evolve(sub, pause_on=None, resume_on=None).scheduled()
                    )
                continue
            if status is _S.FUTURE:
                if sub.start_date > today:
                    return
                sub = self._start(uow, sub, plan, now, charges)
                continue
            if sub.term_end > today:
                return
            if status is _S.TRIAL:
                if sub.auto_charge and sub.payment_method_id is not None:
                    # Charged first: live when it goes through, expired when it does not.
                    anchor = sub.term_end
                    invoice = self._bill(uow, sub, plan, term(anchor, plan.period, 1), first=True)
                    sub = uow.subscriptions.update(
                        attrs.evolve(sub, **self._owes(sub, invoice, now)).scheduled()  # type: ignore[arg-type]
                    )
                    if sub.unpaid_invoice_id is None:
                        sub = self._trial_paid(uow, sub, plan, now)
                    continue
                if sub.auto_charge:
                    sub = self._move(
                        uow, sub, _A.EXPIRE, now, expired_at=now, expired_at_trial_end=True
                    )
                    return
                sub = self._go_live(uow, sub, plan, _A.END_TRIAL, sub.term_end, now, charges)
                continue
            if status is _S.NON_RENEWING:
                self._move(
                    uow, sub, _A.END_TERM, now, cancelled_at=now, **_settled(), **_unscheduled()
                )
                return
            if status in (_S.LIVE, _S.DUNNING):
                sub = self._renew(uow, sub, plan, now)
                continue
            return

    def _renew(
        self, uow: SubscriptionsStore, sub: Subscription, plan: Plan, now: datetime
    ) -> Subscription:
        """Invoice the next term, with the change scheduled for it applied first: a plan of
        another billing period starts its terms (a new anchor) on the renewal day.

        In dunning the renewal's invoice is not charged on its own: it joins the retries, each
        of which collects every invoice unpaid since the failure (`_queue`), as Chargebee keeps
        a subscription's invoices in its one dunning schedule. The final action of the retries
        then applies to all of them alike.
        """
        assert sub.anchor is not None
        anchor, index = sub.anchor, sub.term_index + 1
        once: tuple[str, ...] = ()
        if sub.scheduled_plan_id is not None:
            new = self._batch_plan(uow, sub.scheduled_plan_id)
            kept = {c.coupon_id: c for c in sub.coupons}
            before = {a.addon_id for a in sub.addons}
            once = tuple(a.addon_id for a in sub.scheduled_addons if a.addon_id not in before)
            if new.period != plan.period:
                anchor, index = sub.term_end, 1
            sub = attrs.evolve(
                sub,
                plan_id=new.id,
                addons=sub.scheduled_addons,
                coupons=tuple(
                    kept.get(c) or SubscriptionCoupon(c, sub.cycles_billed + 1)
                    for c in sub.scheduled_coupons
                ),
                **_unchanged(),  # type: ignore[arg-type]
            )
            plan = new
        batch = self._catalog(uow)
        following = (
            term(anchor, plan.period, index) if batch is None else batch.term(anchor, plan, index)
        )
        invoice = self._bill(uow, sub, plan, following, first=False, once=once)
        owes = {} if sub.unpaid_invoice_id is not None else self._owes(sub, invoice, now)
        return self._move(
            uow,
            sub,
            _A.RENEW,
            now,
            anchor=anchor,
            term_index=following.index,
            term_start=following.start,
            term_end=following.end,
            cycles_billed=sub.cycles_billed + 1,
            **owes,
        )

    def _trial_paid(
        self, uow: SubscriptionsStore, sub: Subscription, plan: Plan, now: datetime
    ) -> Subscription:
        first = term(sub.term_end, plan.period, 1)
        return self._move(
            uow,
            sub,
            _A.END_TRIAL,
            now,
            anchor=first.start,
            term_index=1,
            term_start=first.start,
            term_end=first.end,
            cycles_billed=sub.cycles_billed + 1,
            **_settled(),
        )

    # --- charging -----------------------------------------------------------------------------

    def _collect_all(self, charges: Sequence[_Charge]) -> None:
        for charge in charges:
            self._record(charge, self._collect(charge))

    def _collect(self, charge: _Charge) -> str | None:
        """Charge the invoice through billing, outside any transaction. Returns None when it
        is paid, "unknown" while the gateway has not answered, else the failure's code."""
        try:
            payment = self._billing.pay(
                list(charge.invoice_ids or (charge.invoice_id,)),
                method_id=charge.method_id,
                idempotency_key=charge.key,
                actor=SYSTEM,
            )
        except InvalidInvoiceTransitionError:
            return None  # paid (or voided) meanwhile: nothing is left to collect
        except PartnerkitError as failure:
            return failure.code
        return None if payment.status is PaymentStatus.SUCCEEDED else "unknown"

    def _record(self, charge: _Charge, outcome: str | None) -> None:
        """What the charge did, under the subscription's lock; a run that lost the race to
        another worker finds the charge recorded and leaves it."""
        with self._rt.uow() as uow:
            sub = uow.subscriptions.get(charge.subscription_id, for_update=True)
            if (
                sub is None
                or sub.unpaid_invoice_id != charge.invoice_id
                or sub.charge_attempts != charge.attempt
            ):
                return
            now = self._rt.now()
            if outcome == "unknown":
                uow.subscriptions.update(
                    attrs.evolve(sub, charge_at=now + UNKNOWN_CHARGE_RETRY).scheduled()
                )
                return
            plan = self._plan(uow, sub.plan_id)
            if outcome is None:
                if sub.status is _S.TRIAL:
                    self._trial_paid(uow, sub, plan, now)
                elif sub.status is _S.DUNNING:
                    self._move(uow, sub, _A.CHARGE_SUCCEEDED, now, **_settled())
                else:
                    uow.subscriptions.update(attrs.evolve(sub, **_settled()).scheduled())  # type: ignore[arg-type]
                return
            if sub.status is _S.TRIAL:
                # 003 seed, "Extend Trials": an auto-charge trial that cannot be charged at its
                # end expires; its invoice is voided, since nothing was delivered, and its
                # period is free again (an extension or a conversion bills it anew).
                self._billing.void_invoice(charge.invoice_id, actor=SYSTEM)
                for period in uow.subscription_periods.for_subscription(sub.id):
                    if period.invoice_id == charge.invoice_id:
                        uow.subscription_periods.release(sub.id, period.period_start)
                self._move(
                    uow,
                    sub,
                    _A.EXPIRE,
                    now,
                    expired_at=now,
                    expired_at_trial_end=True,
                    **_settled(),
                )
                return
            self._failed(uow, sub, now)

    def _failed(self, uow: SubscriptionsStore, sub: Subscription, now: datetime) -> None:
        policy = self._policy.dunning
        first = sub.first_failure_at or now
        attempts = sub.charge_attempts + 1
        # The first failure is the renewal's own charge; the policy counts the retries after it.
        retry = next_attempt(policy, first, attempts - 1)
        if retry is not None:
            changes: dict[str, object] = {
                "charge_attempts": attempts,
                "first_failure_at": first,
                "charge_at": retry,
            }
            if sub.status is _S.LIVE or sub.status is _S.DUNNING:
                self._move(uow, sub, _A.CHARGE_FAILED, now, **changes)
            else:
                uow.subscriptions.update(attrs.evolve(sub, **changes).scheduled())  # type: ignore[arg-type]
            return
        if policy.final_action is FinalAction.CANCEL:
            action = _A.DUNNING_CANCEL if sub.status is _S.DUNNING else _A.CANCEL
            self._move(uow, sub, action, now, cancelled_at=now, **_settled(), **_unscheduled())
            return
        if sub.status is _S.DUNNING:
            self._move(uow, sub, _A.DUNNING_GIVE_UP, now, **_settled())
        else:
            uow.subscriptions.update(attrs.evolve(sub, **_settled()).scheduled())  # type: ignore[arg-type]


def _may_bill(subscription: Subscription, today: date) -> bool:
    """Whether the run may invoice the subscription `today` (in its calendar): it starts, its
    term or trial ends, or its pause does. A guess that only decides what a batch reads up
    front: what it leaves out is read when billed."""
    if subscription.status is _S.FUTURE:
        return subscription.start_date <= today
    resume = subscription.resume_on
    return subscription.term_end <= today or (resume is not None and resume <= today)


def _paying(subscription: Subscription) -> bool:
    """Whether the customer pays for the product by it: past its trial, not ended."""
    return subscription.status in _PAYING and subscription.anchor is not None


def _unchanged() -> dict[str, object]:
    """The fields of a subscription without a scheduled change."""
    return {"scheduled_plan_id": None, "scheduled_addons": (), "scheduled_coupons": ()}


def _unscheduled() -> dict[str, object]:
    """The fields of a subscription with nothing scheduled: no pause, no change."""
    return {"pause_on": None, "resume_on": None, **_unchanged()}


def _settled() -> dict[str, object]:
    """The fields of a subscription that owes no charge."""
    return {
        "unpaid_invoice_id": None,
        "charge_at": None,
        "charge_attempts": 0,
        "first_failure_at": None,
    }


def _no_charge_pending(subscription: Subscription) -> None:
    """Refuse a person's move on a trial whose end charge awaits the gateway's answer: the
    answer decides between live and expired (`Subscription.trial_charge_pending`)."""
    if subscription.trial_charge_pending:
        raise TrialChargePendingError(
            "The trial's first payment is still waiting for the payment gateway's answer.",
            details={"subscription_id": subscription.id},
        )
