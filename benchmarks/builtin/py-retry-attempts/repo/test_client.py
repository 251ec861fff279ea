from client import InventoryClient


def test_first_try_succeeds():
    client = InventoryClient(lambda req: "7", sleep=lambda s: None)
    assert client.stock("A1") == 7
