"""`balagh run` starts the demonstration system of record where the catalogue expects it, and
only for local use of a catalogue that points at this machine."""

from pathlib import Path

from pydantic import SecretStr

from bot.runner import demo_system_port
from bot.settings import Settings
from tests.transactions.conftest import catalogue_pointing_at


def test_the_demo_listens_on_the_port_of_the_catalogues_demo_system(tmp_path: Path):
    assert demo_system_port(Settings()) == 8070
    moved = catalogue_pointing_at("http://localhost:18070", tmp_path)
    assert demo_system_port(Settings(catalogue_path=moved)) == 18070


def test_no_demo_for_a_real_system_or_outside_local_use(tmp_path: Path):
    real = catalogue_pointing_at("https://permits.alahsa.gov.sa", tmp_path)
    assert demo_system_port(Settings(catalogue_path=real)) is None
    production = Settings(environment="production", secret_key=SecretStr("x" * 48))
    assert demo_system_port(production) is None
