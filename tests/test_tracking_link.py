"""The signed tracking link sent with every new report."""

from urllib.parse import parse_qs, urlparse

from bot.tracking_link import token_is_valid, tracking_token, tracking_url

KEY = "a-long-random-secret-key"


def test_the_link_carries_a_token_only_the_key_can_make():
    url = urlparse(tracking_url("https://balagh.example/", KEY, "1234567890"))
    assert (url.scheme, url.netloc, url.path) == ("https", "balagh.example", "/track/1234567890")
    token = parse_qs(url.query)["t"][0]
    assert token == tracking_token(KEY, "1234567890")
    assert len(token) == 22  # 128 bits, base64url without padding
    assert token_is_valid(KEY, "1234567890", token)
    assert not token_is_valid(KEY, "1234567891", token)
    assert not token_is_valid("another-key", "1234567890", token)
    assert not token_is_valid(KEY, "1234567890", token[:-1] + "A")
