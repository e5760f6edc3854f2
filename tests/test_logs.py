import io
import json
import logging

import pytest

from bot.digits import to_ascii_digits
from bot.logs import (
    JsonFormatter,
    Masker,
    MaskingFilter,
    configure_logging,
    mask_phones,
    masking_handler,
    request_id,
)
from bot.settings import Settings


def test_international_and_local_numbers_are_masked_references_are_not():
    text = mask_phones("caller +966501234567 (0501234567) asked about 6108772785")
    assert "501234567" not in text
    assert "+966" in text
    assert "6108772785" in text


def test_the_filter_masks_formatted_arguments():
    record = logging.LogRecord(
        "channels", logging.INFO, __file__, 1, "from %s", ("+966551112233",), None
    )
    MaskingFilter(Masker()).filter(record)
    assert "5511122" not in record.getMessage()
    assert record.getMessage().endswith("33")


def test_a_number_inside_a_logged_url_is_masked():
    text = mask_phones("POST /channels/twilio/voice/recording?caller=%2B966501234567 HTTP/1.1")
    assert "501234567" not in text


@pytest.mark.parametrize(
    "written",
    [
        "+966501234567",
        "00966501234567",
        "966501234567",
        "+966 50 123 4567",
        "00 966 50 123 4567",
        "+966-50-123-4567",
        "050-123-4567",
        "050 123 4567",
        "٠٥٠١٢٣٤٥٦٧",
        "+٩٦٦٥٠١٢٣٤٥٦٧",
        "٠٠٩٦٦ ٥٠ ١٢٣ ٤٥٦٧",
        "%2B966501234567",
    ],
)
def test_every_way_of_writing_a_number_is_masked(written):
    text = mask_phones(f"caller {written} asked about 6108772785 at 2025-06-01 10:30:00")
    latin = to_ascii_digits(text)
    assert "1234" not in latin.replace("6108772785", "").replace("2025-06-01", "")
    assert "6108772785" in text  # references stay
    assert "2025-06-01 10:30:00" in text  # and times


def test_secrets_and_credentials_are_hidden():
    masker = Masker(["s3cret-token-value", "123456:ABC-telegram-bot-token"])
    line = masker(
        "POST https://api.telegram.org/bot123456:ABC-telegram-bot-token/sendMessage "
        "auth s3cret-token-value; GET /track/1234567890?t=abcDEF123&created=1; "
        "Authorization: Bearer eyJabc.def; open311 ?api_key=b940_x_y "
        "other 987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    )
    for secret in (
        "s3cret-token-value",
        "ABC-telegram-bot-token",
        "abcDEF123",
        "eyJabc.def",
        "b940_x_y",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    ):
        assert secret not in line
    assert "/track/1234567890?t=•••&created=1" in line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_traceback_is_masked_too(log_format):
    handler_output = io.StringIO()
    settings = Settings(_env_file=None, log_format=log_format)
    handler = masking_handler(settings, stream=handler_output)
    logger = logging.getLogger("tests.masking")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("could not reach +966501234567")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "501234567" not in handler_output.getvalue()
    assert "RuntimeError" in handler_output.getvalue()


def test_json_lines_carry_the_turns_request_id_and_mask_phones():
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "channels", logging.INFO, __file__, 1, "from %s", ("+966551112233",), None
    )
    with request_id("3f1c2b7e-lb-0001"):
        MaskingFilter(Masker()).filter(record)
    line = json.loads(formatter.format(record))
    assert line["request_id"] == "3f1c2b7e-lb-0001"
    assert line["level"] == "INFO"
    assert "5511122" not in line["message"]
    outside = logging.LogRecord("worker", logging.INFO, __file__, 1, "pass", (), None)
    MaskingFilter(Masker()).filter(outside)
    assert json.loads(formatter.format(outside))["request_id"] == "-"


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("twilio", "httpx")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)


def test_http_clients_request_dumps_are_left_out_at_info(restored_logging):
    buffer = io.StringIO()
    configure_logging("INFO", stream=buffer)
    logging.getLogger("twilio.async_http_client").info("-- BEGIN Twilio API Request --")
    logging.getLogger("httpx").info("HTTP Request: GET http://recordings/RE1 200 OK")
    logging.getLogger("twilio.http_client").warning("twilio retried a request")
    logging.getLogger("bot.worker").info("outbox sent 2")
    logged = buffer.getvalue()
    assert "BEGIN Twilio API Request" not in logged
    assert "HTTP Request" not in logged
    assert "twilio retried a request" in logged  # their warnings still reach the log
    assert "outbox sent 2" in logged


def test_http_clients_request_dumps_are_logged_when_debugging(restored_logging):
    buffer = io.StringIO()
    configure_logging("INFO", stream=buffer)
    configure_logging("DEBUG", stream=buffer)  # a level changed at run time, as in tests
    logging.getLogger("twilio.async_http_client").info("-- BEGIN Twilio API Request --")
    logging.getLogger("httpx").info("HTTP Request: GET http://recordings/RE1 200 OK")
    assert "BEGIN Twilio API Request" in buffer.getvalue()
    assert "HTTP Request" in buffer.getvalue()
