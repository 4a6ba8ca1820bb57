"""Billing status and credit balance from the native store."""

from __future__ import annotations

import json
from collections.abc import Sequence

from gateway.domain.billing import BillingStatus, CreditProduct, Credits, Subscription
from gateway.providers.native.store import Store, placeholders

__all__ = ["billing_statuses"]


async def billing_statuses(store: Store, tenant_ids: Sequence[str]) -> dict[str, BillingStatus]:
    """The billing status of each tenant that has a billing account."""
    ids = sorted(set(tenant_ids))
    rows = await store.fetch_all(
        f"SELECT * FROM billing_accounts WHERE tenant_id IN ({placeholders(ids)})", ids
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
            credits=Credits(available=row["available_credits"], included=row["included_credits"]),
            customer_portal_url=portal.get("customer_portal"),
            subscription_management_url=portal.get("subscription_management"),
            credit_products=tuple(
                CreditProduct.model_validate(p) for p in json.loads(row["credit_products"])
            ),
        )
    return found
