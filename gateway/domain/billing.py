"""Billing status and credits, as MessageSender's billing endpoints describe them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "CREDIT_PRODUCTS_TOP",
    "BillingStatus",
    "CreditProduct",
    "Credits",
    "Subscription",
]

# The top-ups on sale, in the platform's order; an account lists at most this many.
CREDIT_PRODUCTS_TOP = 10


class Subscription(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str
    plan_type: str | None = None
    billing_interval: str | None = None
    status: str | None = None
    paid_through: str | None = None
    current_period_end: str | None = None
    next_billing_date: str | None = None
    provider: str | None = None


class CreditProduct(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str
    name: str
    credits_amount: int = Field(alias="credits_amount")
    price_cents: int


class Credits(BaseModel):
    """available: purchased credits; included: this period's subscription credits."""

    model_config = ConfigDict(frozen=True)

    available: int
    included: int

    @property
    def total(self) -> int:
        return self.available + self.included


class BillingStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    organization_id: str
    brand: str | None
    billing_status: str
    pricing_model: str
    subscription: Subscription | None
    credits: Credits
    customer_portal_url: str | None
    subscription_management_url: str | None
    credit_products: tuple[CreditProduct, ...]

    @field_validator("credit_products")
    @classmethod
    def _first_on_sale(cls, products: tuple[CreditProduct, ...]) -> tuple[CreditProduct, ...]:
        return products[:CREDIT_PRODUCTS_TOP]
