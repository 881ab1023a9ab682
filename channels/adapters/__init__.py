"""Marketplace adapters: one module per marketplace behind the interface in base.py."""

from channels.adapters.base import MarketplaceAdapter


def adapter_for(channel) -> MarketplaceAdapter:
    """The adapter that speaks this channel's marketplace API."""
    if channel.kind == "rakuten":
        from channels.adapters.rakuten import RakutenAdapter as adapter_class
    elif channel.kind == "yahoo":
        from channels.adapters.yahoo import YahooAdapter as adapter_class
    elif channel.kind == "amazon":
        from channels.adapters.amazon import AmazonAdapter as adapter_class
    else:
        raise ValueError(f"no adapter for marketplace {channel.kind!r}")
    return adapter_class(channel)
