"""How staff see a customer at a glance: their name, or a readable visitor label."""

from __future__ import annotations

from crm.models import Customer

__all__ = ["customer_label", "first_name"]


def customer_label(customer: Customer) -> str:
    """Return the customer's name, else their email, else 'Visitor 3F9A' (stable, from the id)."""
    if customer.name and customer.name.strip():
        return customer.name.strip()
    if customer.email:
        return customer.email
    return f"Visitor {customer.id[:4].upper()}"


def first_name(customer: Customer) -> str:
    """Return the customer's first name, or '' when we don't know it."""
    return customer.name.split()[0] if customer.name and customer.name.strip() else ""
