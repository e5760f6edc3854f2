import json
import logging

from bot.logs import JsonFormatter, PhoneMaskingFilter, mask_phones, request_id


def test_international_and_local_numbers_are_masked_references_are_not():
    text = mask_phones("caller +966501234567 (0501234567) asked about 6108772785")
    assert "501234567" not in text
    assert "+966" in text
    assert "6108772785" in text


def test_the_filter_masks_formatted_arguments():
    record = logging.LogRecord(
        "channels", logging.INFO, __file__, 1, "from %s", ("+966551112233",), None
    )
    PhoneMaskingFilter().filter(record)
    assert "5511122" not in record.getMessage()
    assert record.getMessage().endswith("33")


def test_a_number_inside_a_logged_url_is_masked():
    text = mask_phones("POST /channels/twilio/voice/recording?caller=%2B966501234567 HTTP/1.1")
    assert "501234567" not in text


def test_json_lines_carry_the_turns_request_id_and_mask_phones():
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "channels", logging.INFO, __file__, 1, "from %s", ("+966551112233",), None
    )
    with request_id("3f1c2b7e-lb-0001"):
        PhoneMaskingFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["request_id"] == "3f1c2b7e-lb-0001"
    assert line["level"] == "INFO"
    assert "5511122" not in line["message"]
    outside = logging.LogRecord("worker", logging.INFO, __file__, 1, "pass", (), None)
    PhoneMaskingFilter().filter(outside)
    assert json.loads(formatter.format(outside))["request_id"] == "-"
