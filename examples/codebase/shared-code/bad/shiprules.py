"""The shop's shipping rule, copied into this app from the source of the shiprules library."""

from decimal import Decimal

FREE_FROM = Decimal("50.00")


def shipping_fee(total: Decimal, fee: Decimal) -> Decimal:
    """The shipping fee for an order total: free from FREE_FROM, else the deploy's fee."""
    return Decimal("0.00") if total >= FREE_FROM else fee
