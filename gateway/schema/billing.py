"""Billing status and credit balance in the graph (MessageSender's billing endpoints)."""

from __future__ import annotations

import strawberry

from gateway.domain.auth import BILLING_READ
from gateway.domain.billing import CREDIT_PRODUCTS_TOP, BillingStatus
from gateway.domain.links import http_or_none
from gateway.schema.args import Info
from gateway.schema.hints import CacheControl

__all__ = ["BillingQueries"]


@strawberry.type(description="Credits: available (purchased) plus included makes the total.")
class CreditsType:
    available: int = strawberry.field(description="Purchased credits available to spend.")
    included: int = strawberry.field(
        description="This period's subscription credits, spent before purchased ones."
    )
    total: int = strawberry.field(description="Every credit: available + included.")


@strawberry.type(description="The active subscription.")
class SubscriptionType:
    id: str = strawberry.field(description="Subscription id.")
    plan_type: str | None = strawberry.field(description="Plan type.")
    billing_interval: str | None = strawberry.field(
        description="How often it bills: monthly, yearly, ..."
    )
    status: str | None = strawberry.field(description="Subscription status.")
    paid_through: str | None = strawberry.field(description="Paid through this date.")
    current_period_end: str | None = strawberry.field(description="End of this period.")
    next_billing_date: str | None = strawberry.field(description="Next billing date.")
    provider: str | None = strawberry.field(description="Who bills it.")


@strawberry.type(description="A credit top-up product.")
class CreditProductType:
    id: str = strawberry.field(description="Product id.")
    name: str = strawberry.field(description="Product name.")
    credits_amount: int = strawberry.field(description="Credits it adds.")
    price_cents: int = strawberry.field(description="Price in cents.")


@strawberry.type(
    name="BillingStatus",
    description="Billing health, subscription and credits (GET /api/billing/status).",
    directives=[CacheControl(max_age=60)],
)
class BillingStatusType:
    organization_id: str = strawberry.field(description="The organization's id.")
    brand: str | None = strawberry.field(description="The brand billing it.")
    billing_status: str = strawberry.field(
        description="One of active, past_due, suspended, overage_warning or archived."
    )
    pricing_model: str = strawberry.field(
        description="One of unlimited, per_message or full_service."
    )
    subscription: SubscriptionType | None = strawberry.field(
        description="Null on credit-only plans."
    )
    credits: CreditsType = strawberry.field(
        description="Credits now.", directives=[CacheControl(max_age=10)]
    )
    customer_portal_url: str | None = strawberry.field(
        description="Customer portal: an http(s) URL, or null (also when the one on record is"
        " not http(s), so that it is never served as a link)."
    )
    subscription_management_url: str | None = strawberry.field(
        description="Manage the plan: an http(s) URL, or null (also when the one on record is"
        " not http(s), so that it is never served as a link)."
    )
    available_credit_products: list[CreditProductType] = strawberry.field(
        description=f"Top-ups on sale: the first {CREDIT_PRODUCTS_TOP} the platform lists."
    )


def billing_view(status: BillingStatus) -> BillingStatusType:
    sub = status.subscription
    return BillingStatusType(
        organization_id=status.organization_id,
        brand=status.brand,
        billing_status=status.billing_status,
        pricing_model=status.pricing_model,
        subscription=None if sub is None else SubscriptionType(**sub.model_dump()),
        credits=CreditsType(
            available=status.credits.available,
            included=status.credits.included,
            total=status.credits.total,
        ),
        customer_portal_url=http_or_none(status.customer_portal_url),
        subscription_management_url=http_or_none(status.subscription_management_url),
        available_credit_products=[
            CreditProductType(**p.model_dump()) for p in status.credit_products
        ],
    )


# Credits move with every message sent: an answer holding them is kept briefly.
@strawberry.type(
    description="The purchased credits available (GET /api/credits/balance).",
    directives=[CacheControl(max_age=10)],
)
class CreditBalance:
    balance: int = strawberry.field(description="Purchased credits available to spend.")


async def load_billing(info: Info) -> BillingStatusType | None:
    principal = info.context.principal
    principal.require_tenant_scope(BILLING_READ)
    status = await info.context.loaders.billing.get(principal.tenant_id, info)
    return None if status is None else billing_view(status)


@strawberry.type
class BillingQueries:
    @strawberry.field(
        description="Billing status; null when the tenant has no billing account"
        " (needs billing:read)."
    )
    async def billing(self, info: Info) -> BillingStatusType | None:
        return await load_billing(info)

    @strawberry.field(
        description="The credit balance; null without a billing account (needs billing:read)."
    )
    async def credit_balance(self, info: Info) -> CreditBalance | None:
        principal = info.context.principal
        principal.require_tenant_scope(BILLING_READ)
        balance = await info.context.loaders.credit_balances.get(principal.tenant_id, info)
        return None if balance is None else CreditBalance(balance=balance)
