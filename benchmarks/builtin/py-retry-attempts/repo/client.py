"""A tiny client for the inventory service, retrying on connection trouble."""
from retry import retry


class InventoryClient:
    def __init__(self, transport, sleep=None):
        self._transport = transport
        options = {"sleep": sleep} if sleep else {}
        self.stock = retry(attempts=3, retry_on=(ConnectionError, TimeoutError), **options)(self._stock)

    def _stock(self, sku: str) -> int:
        reply = self._transport(f"GET /stock/{sku}")
        if not reply.isdigit():
            raise ValueError(f"bad reply for {sku}: {reply!r}")
        return int(reply)
