"""Billing status and credit balance from the native store.

The balance is a ledger, the same whatever order its events arrived in: the opening balance of
the tenant's billing.account, plus the billing.credits deltas per pool (a pool whose deltas
would take it below zero is empty), less the credits of every dispatched message, taken from
the included pool first and then from the purchased one (which may go negative: an overdraft).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from gateway.domain.billing import BillingStatus, CreditProduct, Credits, Subscription
from gateway.providers.native.store import Row, Store, placeholders

__all__ = ["balance", "billing_statuses"]


def balance(row: Row) -> Credits:
    included = max(row["included_credits"] + row["added_included"], 0)
    purchased = max(row["available_credits"] + row["purchased"], 0)
    spent = row["spent"]
    from_included = min(spent, included)
    return Credits(available=purchased - (spent - from_included), included=included - from_included)


async def billing_statuses(store: Store, tenant_ids: Sequence[str]) -> dict[str, BillingStatus]:
    """The billing status of each tenant that has a billing account."""
    ids = sorted(set(tenant_ids))
    rows = await store.fetch_all(
        "SELECT a.*, coalesce(l.purchased, 0) AS purchased, coalesce(l.included, 0) AS "
        "added_included, coalesce(l.spent, 0) AS spent FROM billing_accounts AS a "
        "LEFT JOIN billing_ledger AS l ON l.tenant_id = a.tenant_id "
        f"WHERE a.tenant_id IN ({placeholders(ids)})",
        ids,
    )
    found = {}
    for row in rows:
        portal = json.loads(row["portal_urls"])
        subscription = row["subscription"]
        found[row["tenant_id"]] = BillingStatus(
            organization_id=row["organization_id"],
            brand=row["brand"],
            billing_status=row["billing_status"],
            pricing_model=row["pricing_model"],
            subscription=None
            if subscription is None
            else Subscription.model_validate(json.loads(subscription)),
            credits=balance(row),
            customer_portal_url=portal.get("customer_portal"),
            subscription_management_url=portal.get("subscription_management"),
            credit_products=tuple(
                CreditProduct.model_validate(p) for p in json.loads(row["credit_products"])
            ),
        )
    return found
