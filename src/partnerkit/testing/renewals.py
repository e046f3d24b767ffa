"""A renewal run's data at scale, for race tests and benchmarks: customers with live monthly
subscriptions whose term ends on one day, written through a backend's repositories in one unit
of work (seconds for thousands), so `kit.run_due()` on that day renews every one of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import partnerkit as pk
from partnerkit import validate
from partnerkit.billing.methods import PaymentMethod
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.subscriptions.catalog import Plan
from partnerkit.subscriptions.periods import IntervalUnit, term
from partnerkit.subscriptions.subscription import Subscription

__all__ = ["PLAN_ID", "PRICE", "PRODUCT", "RENEWAL_DAY", "due_subscriptions", "renewal_instant"]

#: The product and the plan every subscription is on: 30.00 USD a month.
PRODUCT = "crm"
PLAN_ID = "crm-monthly"
PRICE = pk.Money.of("30.00", "USD")
#: The day their first term ends: 31 January 2026's monthly term.
RENEWAL_DAY = date(2026, 2, 28)
_ANCHOR = date(2026, 1, 31)
_CREATED = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def renewal_instant() -> datetime:
    """The instant the subscriptions of `due_subscriptions` fall due: the renewal day's start.

    Returns:
        Midnight UTC at the start of `RENEWAL_DAY`.

    Raises nothing.
    """
    return datetime.combine(RENEWAL_DAY, time(0), tzinfo=UTC)


def due_subscriptions(
    backend: Backend[Store],
    n: int,
    *,
    customers: int | None = None,
    auto_charge_token: str | None = None,
    charge_every: int = 2,
) -> list[str]:
    """Write `n` live monthly subscriptions, anchored on 31 January 2026, whose first term ends
    on `RENEWAL_DAY`, with the product, the plan and their customers, in one unit of work.

    Args:
        backend: A migrated, empty backend.
        n: How many subscriptions.
        customers: Over how many customers they are spread (round robin); one each when None.
        auto_charge_token: A saved card's reusable token at the kit's gateway (for the fake,
            `gateway.save_card(customer_id, gateway.tokenize(...)).token`): every
            `charge_every`-th subscription is charged to it, through a saved card of its
            customer. None for none charged.
        charge_every: With a token, which subscriptions are charged: the second, fourth and so
            on by default.

    Returns:
        The subscriptions' ids, in the order they were written.

    Raises:
        InvalidInputError: `n`, `customers` or `charge_every` is not a whole number from 1
            (`validation.invalid`).
        StorageError: The backend could not store them (`storage.unavailable`).
    """
    count = validate.whole_number(n, "n", minimum=1)
    spread = (
        count if customers is None else validate.whole_number(customers, "customers", minimum=1)
    )
    every = validate.whole_number(charge_every, "charge_every", minimum=1)
    first = term(_ANCHOR, pk.BillingPeriod(IntervalUnit.MONTH, 1), 1)
    assert first.end == RENEWAL_DAY
    ids = []
    with backend.unit_of_work() as uow:
        uow.products.add(pk.Product(PRODUCT, "CRM", _CREATED))
        uow.plans.add(
            Plan(
                id=PLAN_ID,
                product=PRODUCT,
                name="CRM monthly",
                price=PRICE,
                period_unit=IntervalUnit.MONTH,
                period_count=1,
                setup_fee=pk.Money.zero("USD"),
                created_at=_CREATED,
            )
        )
        for c in range(spread):
            cid = f"cus_r{c:07d}"
            user = pk.CustomerUser(f"it@r{c:07d}.example", "Admin", is_admin=True)
            uow.customers.add(
                pk.Customer(id=cid, name=f"Renewal {c}", created_at=_CREATED, users=(user,))
            )
            if auto_charge_token is not None:
                uow.payment_methods.add(
                    PaymentMethod(
                        id=f"pm_r{c:07d}",
                        customer_id=cid,
                        token=auto_charge_token,
                        brand="visa",
                        last4="4242",
                        exp_month=12,
                        exp_year=2030,
                        default=True,
                        added_at=_CREATED,
                        updated_at=_CREATED,
                    )
                )
        for i in range(count):
            c = i % spread
            charged = auto_charge_token is not None and i % every == every - 1
            subscription = Subscription(
                id=f"sub_r{i:07d}",
                customer_id=f"cus_r{c:07d}",
                product=PRODUCT,
                plan_id=PLAN_ID,
                status=pk.SubscriptionStatus.LIVE,
                start_date=_ANCHOR,
                term_start=first.start,
                term_end=first.end,
                created_at=_CREATED,
                created_by="renewals@partnerkit.testing",
                anchor=_ANCHOR,
                term_index=first.index,
                auto_charge=charged,
                payment_method_id=f"pm_r{c:07d}" if charged else None,
                cycles_billed=1,
            ).scheduled()
            uow.subscriptions.add(subscription)
            ids.append(subscription.id)
    return ids
